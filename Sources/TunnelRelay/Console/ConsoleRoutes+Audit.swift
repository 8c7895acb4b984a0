import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The audit page and its CSV export: an administrator's, as `GET /v1/audit` is.
extension ConsoleRoutes {
    /// Entries to a page.
    static let auditPerPage = 100
    /// The most entries one CSV export holds (the admin API's largest `limit`).
    static let auditExportLimit = 10_000

    /// `/console/audit?device=&user=&event=&since=&until=&before=`: matching entries, newest
    /// first; `before` (an entry ID) pages back.
    func auditPage(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        try Self.requireAuditAccess(user)
        let filters = try Self.auditFilters(request.uri.queryParameters)
        var query = filters.query
        query.limit = Self.auditPerPage
        let entries = try await store.auditEntries(query)
        var values = Self.pageValues("Audit", user: user, session: session)
        values["query"] = Dictionary(uniqueKeysWithValues: filters.items.map { ($0.0, $0.1 ?? "") })
        values["rows"] = entries.reversed().map { entry in
            [
                "id": entry.id.map(String.init) ?? "", "at": Self.time(entry.at), "event": entry.event.rawValue, "actor": entry.actor,
                "user": entry.userID ?? "", "device": entry.deviceID ?? "", "session": entry.sessionID ?? "", "reason": entry.reason,
                "source": entry.source ?? "",
            ] as [String: Any]
        }
        values["csv"] = Self.link("/console/audit.csv", filters.items)
        if entries.count == Self.auditPerPage, let oldest = entries.first?.id {
            values["older"] = Self.link("/console/audit", filters.items + [("before", String(oldest))])
        }
        if query.beforeID != nil { values["newest"] = Self.link("/console/audit", filters.items) }
        return html(pages.render("audit", values))
    }

    /// `/console/audit.csv?…`: the same filters, up to `auditExportLimit` entries, as a download.
    func auditCSV(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, _) = try await signedIn(request)
        try Self.requireAuditAccess(user)
        var query = try Self.auditFilters(request.uri.queryParameters).query
        query.beforeID = nil
        query.limit = Self.auditExportLimit
        let text = AuditCSV.document(try await store.auditEntries(query))
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"audit.csv\""],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The audit log is an administrator's, as in the admin API (`GET /v1/audit`).
    static func requireAuditAccess(_ user: UserRecord) throws {
        guard user.role == .admin else {
            throw ConsoleRefusal(.forbidden, "the audit log is for administrators; user \(user.id) has role \(user.role.rawValue)")
        }
    }

    /// The audit filters of a page's parameters (`device`, `user`, `event`, `since`, `until`,
    /// `before`) as a query, and as link items (without `before`); a wrong value names itself.
    static func auditFilters(_ parameters: Parameters) throws -> (query: AuditQuery, items: [(String, String?)]) {
        func value(_ name: String) -> String? {
            guard let text = parameters.get(name)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return String(text.prefix(256))
        }
        func date(_ name: String) throws -> Date? {
            guard let text = value(name) else { return nil }
            guard let date = consoleTime(text) else {
                throw ConsoleRefusal(
                    .badRequest, "\(name): expected a UTC time such as 2026-11-26T12:00 or 2026-11-26T12:00:00Z, found \"\(text)\"")
            }
            return date
        }
        var beforeID: Int64?
        if let text = value("before") {
            guard let id = Int64(text), id >= 0 else {
                throw ConsoleRefusal(.badRequest, "before: expected an audit entry ID (a non-negative integer), found \"\(text)\"")
            }
            beforeID = id
        }
        let query = AuditQuery(
            deviceID: value("device"), userID: value("user"), since: try date("since"), until: try date("until"), beforeID: beforeID,
            event: value("event"))
        let items: [(String, String?)] = [
            ("device", value("device")), ("user", value("user")), ("event", value("event")), ("since", value("since")),
            ("until", value("until")),
        ]
        return (query, items)
    }

    /// A time as a browser's `datetime-local` field sends it (taken as UTC), or ISO 8601.
    static func consoleTime(_ text: String) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
