import Foundation
import HTTPTypes
import Hummingbird

/// The sessions page, a session's page, and ending a session (administrators).
extension ConsoleRoutes {
    /// Sessions to a page.
    static let sessionsPerPage = 50

    /// `/console/sessions?device=&state=&user=&before=`: the sessions the user may see, as in
    /// `GET /v1/sessions`, newest first; `before` (a session ID) pages back.
    func sessionsPage(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let parameters = request.uri.queryParameters
        func value(_ name: String) -> String? {
            guard let text = parameters.get(name), !text.isEmpty else { return nil }
            return String(text.prefix(256))
        }
        let state: SessionQuery.State?
        if let text = value("state") {
            guard let known = SessionQuery.State(rawValue: text) else {
                let names = SessionQuery.State.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConsoleRefusal(.badRequest, "state: expected one of \(names), found \"\(text)\"")
            }
            state = known
        } else {
            state = nil
        }
        if let before = value("before"), try await store.session(id: before) == nil {
            throw ConsoleRefusal(.badRequest, "before: no session \(before)")
        }
        let query = SessionQuery(
            deviceID: value("device"), visibleTo: user.role == .admin ? nil : user.id, beforeID: value("before"),
            limit: Self.sessionsPerPage, createdBy: value("user"), state: state)
        let records = try await store.sessions(query)
        var values = Self.pageValues("Sessions", user: user, session: session)
        values["query"] = ["device": query.deviceID ?? "", "user": query.createdBy ?? ""]
        values["stateOptions"] =
            [["value": "", "label": "any", "selected": state == nil]]
            + SessionQuery.State.allCases.map {
                ["value": $0.rawValue, "label": $0.rawValue, "selected": $0 == state]
            }
        values["rows"] = records.reversed().map { Self.sessionValues($0, live: relay.broker.tap(sessionID: $0.id)?.bytes) }
        if records.count == Self.sessionsPerPage, let oldest = records.first {
            values["older"] = Self.link(
                "/console/sessions",
                [
                    ("device", query.deviceID), ("state", state?.rawValue), ("user", query.createdBy), ("before", oldest.id),
                ])
        }
        if query.beforeID != nil {
            values["newest"] = Self.link(
                "/console/sessions",
                [
                    ("device", query.deviceID), ("state", state?.rawValue), ("user", query.createdBy),
                ])
        }
        return html(pages.render("sessions", values))
    }

    /// `/console/sessions/<id>`: one session's record, with "End session" for an administrator.
    func sessionPage(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let record = try await visibleSession(context, user: user)
        var values = Self.pageValues("Session \(record.id)", user: user, session: session)
        values["session"] = Self.sessionValues(record, live: relay.broker.tap(sessionID: record.id)?.bytes)
        values["mayEnd"] = user.role == .admin && record.ending == nil
        if let tap = relay.broker.tap(sessionID: record.id) {
            values["watch"] = [
                "link": "/console/sessions/\(record.id)/watch",
                "watchers": tap.watchers.isEmpty ? "nobody" : tap.watchers.joined(separator: ", "),
            ]
        } else if relay.mayWatchElsewhere(record) {
            values["watch"] = [
                "link": "/console/sessions/\(record.id)/watch", "watchers": "shown on the watch page (the session runs on another node)",
            ]
        }
        if user.role == .admin || record.createdBy == user.id, captureExists(record) || relay.mayHaveCaptureElsewhere(record) {
            values["replay"] = "/console/sessions/\(record.id)/replay"
        }
        return html(pages.render("session", values))
    }

    /// Ends a session through the same code path as `DELETE /v1/sessions/{id}` (`SessionEnder`);
    /// only an administrator may, and the form must say `confirm=yes`.
    func endSession(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let form = try await checkedForm(request, context, session: session)
        guard user.role == .admin else { throw ConsoleRefusal(.forbidden, "only an administrator may end a session") }
        let record = try await visibleSession(context, user: user)
        guard form["confirm"] == "yes" else {
            throw ConsoleRefusal(.badRequest, "confirm: tick \"Yes, end this session\" to end session \(record.id)")
        }
        let reason = "ended by \(user.id) through the web console"
        let broker = relay.broker
        _ = try await SessionEnder.end(
            record, reason: reason, actor: "console:\(user.id)", store: store,
            closeHere: { broker.closeSession(id: $0, code: .sessionEnded, message: reason) })
        return Self.redirect("/console/sessions/\(record.id)")
    }

    /// The session of the route's `:id`, if its device is one the user may see.
    func visibleSession(_ context: AdminRequestContext, user: UserRecord) async throws -> SessionRecord {
        let id = try context.parameters.require("id")
        guard id.count <= 256, let record = try await store.session(id: id), let device = try await store.device(id: record.deviceID),
            user.maySee(device)
        else {
            throw ConsoleRefusal(.notFound, "no session \(id)")
        }
        return record
    }

    /// A session's values for the templates.
    /// `live`: the bytes a session running on this node has forwarded so far, shown until the
    /// store has the final counts.
    static func sessionValues(
        _ record: SessionRecord, live: (toDevice: UInt64, fromDevice: UInt64)? = nil, now: Date = Date()
    ) -> [String: Any] {
        let state: String
        if record.ending != nil {
            state = "ended"
        } else if record.claimedAt != nil {
            state = "live"
        } else {
            state = record.expiresAt < now ? "expired" : "waiting"
        }
        return [
            "id": record.id, "device": record.deviceID, "mode": "\(record.mode)", "createdBy": record.createdBy,
            "createdAt": time(record.createdAt), "expiresAt": time(record.expiresAt), "claimedAt": time(record.claimedAt),
            "endedAt": time(record.ending?.endedAt), "endReason": record.ending?.reason ?? "—", "state": state,
            "takeOver": record.takeOver ? "yes" : "no", "clientNode": record.clientNode ?? "—",
            "bytesToDevice": record.ending.map { String($0.bytesToDevice) } ?? live.map { "\($0.toDevice) so far" } ?? "—",
            "bytesFromDevice": record.ending.map { String($0.bytesFromDevice) } ?? live.map { "\($0.fromDevice) so far" } ?? "—",
        ]
    }

    /// `path` with the given query parameters (those with a value), for a deep link.
    static func link(_ path: String, _ items: [(String, String?)]) -> String {
        var components = URLComponents()
        components.path = path
        let present = items.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        if !present.isEmpty { components.queryItems = present }
        return components.string ?? path
    }
}
