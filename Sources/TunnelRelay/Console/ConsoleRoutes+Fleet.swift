import Foundation
import HTTPTypes
import Hummingbird

/// The fleet page and the device page.
extension ConsoleRoutes {
    func fleet(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let query = try Self.fleetQuery(request.uri.queryParameters, user: user)
        let page = try await store.fleetPage(query)
        let names = Dictionary(try await store.customers().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let customers = user.role == .admin ? names.keys.sorted() : user.customers
        var values = Self.pageValues("Fleet", user: user, session: session)
        values["query"] = ["search": query.search ?? ""]
        values["customers"] = customers.map { ["id": $0, "name": names[$0] ?? $0, "selected": $0 == query.customer] }
        values["presenceOptions"] = [("", "any", nil), ("online", "online", true), ("offline", "offline", false)].map {
            ["value": $0.0, "label": $0.1, "selected": $0.2 == query.online]
        }
        values["sortOptions"] = FleetQuery.Sort.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": $0 == query.sort] }
        values["orderOptions"] = [("asc", "ascending", false), ("desc", "descending", true)].map {
            ["value": $0.0, "label": $0.1, "selected": $0.2 == query.descending]
        }
        values["rows"] = page.rows.map { row in
            [
                "id": row.device.id, "customer": row.device.customer, "customerName": names[row.device.customer] ?? row.device.customer,
                "presence": row.device.presence.online ? "online" : "offline",
                "lastSeen": Self.time(row.device.presence.lastSeenAt), "agentVersion": row.device.presence.agentVersion ?? "—",
                "firmwareVersion": row.device.presence.firmwareVersion ?? "—", "activeSessions": row.activeSessions,
            ] as [String: Any]
        }
        values["total"] = page.total
        values["page"] = query.page
        values["pageCount"] = page.pageCount
        if query.page > 1 { values["previous"] = Self.fleetLink(query, page: query.page - 1) }
        if query.page < page.pageCount { values["next"] = Self.fleetLink(query, page: query.page + 1) }
        return html(pages.render("fleet", values))
    }

    /// The fleet query of a page's parameters: `q`, `customer`, `online` (`online`/`offline`),
    /// `sort`, `order` (`asc`/`desc`), `page`; a value out of range is refused, naming it.
    static func fleetQuery(_ parameters: Parameters, user: UserRecord) throws -> FleetQuery {
        func value(_ name: String) -> String? {
            guard let text = parameters.get(name), !text.isEmpty else { return nil }
            return text
        }
        let search = value("q").map { String($0.prefix(100)) }
        if let customer = value("customer") {
            do { try CustomerRecord.validate(id: customer) } catch { throw ConsoleRefusal(.badRequest, "customer: \(error)") }
        }
        let online: Bool?
        switch value("online") {
        case nil: online = nil
        case "online": online = true
        case "offline": online = false
        case let other?: throw ConsoleRefusal(.badRequest, "online: expected online or offline, found \"\(other)\"")
        }
        let sortText = value("sort") ?? FleetQuery.Sort.id.rawValue
        guard let sort = FleetQuery.Sort(rawValue: sortText) else {
            let known = FleetQuery.Sort.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConsoleRefusal(.badRequest, "sort: expected one of \(known), found \"\(sortText)\"")
        }
        let order = value("order") ?? "asc"
        guard order == "asc" || order == "desc" else {
            throw ConsoleRefusal(.badRequest, "order: expected asc or desc, found \"\(order)\"")
        }
        let pageText = value("page") ?? "1"
        guard let page = Int(pageText), page >= 1, page <= 1_000_000 else {
            throw ConsoleRefusal(.badRequest, "page: expected a whole number from 1, found \"\(pageText)\"")
        }
        return FleetQuery(
            visibleTo: user, search: search, customer: value("customer"), online: online, sort: sort, descending: order == "desc",
            page: page)
    }

    /// The link to `page` of the same view: every filter is in the URL.
    static func fleetLink(_ query: FleetQuery, page: Int) -> String {
        var components = URLComponents()
        components.path = "/console"
        var items: [URLQueryItem] = []
        if let search = query.search { items.append(URLQueryItem(name: "q", value: search)) }
        if let customer = query.customer { items.append(URLQueryItem(name: "customer", value: customer)) }
        if let online = query.online { items.append(URLQueryItem(name: "online", value: online ? "online" : "offline")) }
        items.append(URLQueryItem(name: "sort", value: query.sort.rawValue))
        items.append(URLQueryItem(name: "order", value: query.descending ? "desc" : "asc"))
        items.append(URLQueryItem(name: "page", value: String(page)))
        components.queryItems = items
        return components.string ?? "/console"
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return date.formatted(.iso8601)
    }

    /// The device of the route's `:id`, checked with the device ID rules, if the user may see it.
    func visibleDevice(_ context: AdminRequestContext, user: UserRecord) async throws -> DeviceRecord {
        let id = try context.parameters.require("id")
        do { try DeviceRecord.validate(id: id) } catch { throw ConsoleRefusal(.badRequest, "\(error)") }
        guard let device = try await store.device(id: id), user.maySee(device) else {
            throw ConsoleRefusal(.notFound, "no device \(id)")
        }
        return device
    }

    func devicePage(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let device = try await visibleDevice(context, user: user)
        let sessions = try await store.sessions(
            SessionQuery(deviceID: device.id, visibleTo: user.role == .admin ? nil : user.id, limit: 20))
        var values = Self.pageValues(device.id, user: user, session: session)
        let customerName = try await store.customers().first { $0.id == device.customer }?.name ?? device.customer
        values["device"] = [
            "id": device.id, "customer": device.customer, "customerName": customerName,
            "presence": device.presence.online ? "online" : "offline",
            "lastSeen": Self.time(device.presence.lastSeenAt), "remoteAddress": device.presence.remoteAddress ?? "—",
            "relayNode": device.presence.relayNode ?? "—", "agentVersion": device.presence.agentVersion ?? "—",
            "firmwareVersion": device.presence.firmwareVersion ?? "—", "registeredAt": Self.time(device.registeredAt),
            "revokedAt": Self.time(device.revokedAt),
            "certificateSerial": device.certificateSerial.isEmpty ? "—" : device.certificateSerial,
        ]
        values["rows"] = sessions.reversed().map { Self.sessionValues($0, live: relay.broker.tap(sessionID: $0.id)?.bytes) }
        values["allSessions"] = Self.link("/console/sessions", [("device", device.id)])
        if device.isAccepted {
            values["mayControl"] = user.mayOpen(.control, on: device)
            values["mayMonitor"] = user.mayOpen(.monitor, on: device)
            values["mayTakeOver"] = user.mayTakeOver
        }
        // The audit log is an administrator's, as in the admin API.
        if user.role == .admin {
            values["showAudit"] = true
            values["audit"] = try await store.auditEntries(AuditQuery(deviceID: device.id, limit: 20)).reversed().map { entry in
                ["at": Self.time(entry.at), "event": entry.event.rawValue, "actor": entry.actor, "reason": entry.reason]
            }
        }
        if user.role == .admin {
            values["manage"] = [
                "mayRevoke": device.revokedAt == nil, "mayReset": device.registeredAt != nil,
                "customers": try await store.customers().map { ["id": $0.id, "selected": $0.id == device.customer] },
            ]
        }
        return html(pages.render("device", values))
    }

    /// Revokes a device and cuts its agent: an administrator's act, as in the admin API.
    func revoke(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let form = try await checkedForm(request, context, session: session)
        guard user.role == .admin else { throw ConsoleRefusal(.forbidden, "only an administrator may revoke a device") }
        let device = try await visibleDevice(context, user: user)
        guard form["confirm"] == "yes" else {
            throw ConsoleRefusal(.badRequest, "confirm: tick \"Yes, revoke this device\" to revoke device \(device.id)")
        }
        try await store.revokeDevice(id: device.id, at: Date(), by: "console:\(user.id)")
        relay.disconnect(deviceID: device.id, reason: "the device was revoked by \(user.id)")
        return Self.redirect("/console/devices/\(device.id)")
    }
}
