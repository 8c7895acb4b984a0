import Foundation
import HTTPTypes
import Hummingbird
import SharedWire

/// "Connect Control Panel" on the device page: opens a session exactly as `POST /v1/sessions`
/// does (`SessionIssuer`: the same permission checks and audit) and shows its token once.
extension ConsoleRoutes {
    /// How long a token from the console stays valid, in seconds (the admin API's default).
    static let connectTTL = 300

    func connect(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let form = try await checkedForm(request, context, session: session)
        let device = try await visibleDevice(context, user: user)
        let modeText = form["mode"] ?? "control"
        guard let mode = TunnelMessage.SessionMode(name: modeText) else {
            throw ConsoleRefusal(.badRequest, "mode: expected control or monitor, found \"\(modeText)\"")
        }
        let takeOver = form["takeOver"] == "yes"
        let reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if takeOver && reason.isEmpty {
            throw ConsoleRefusal(.badRequest, "reason: taking a device over needs a reason; say why in the form")
        }
        let broker = relay.broker
        let issued: SessionIssuer.Issued
        do {
            issued = try await SessionIssuer.issue(
                .init(
                    deviceID: device.id, mode: mode, ttl: Self.connectTTL, userID: user.id, takeOver: takeOver,
                    publicAddress: publicAddress),
                account: user, store: store, controlHolder: { broker.controlHolder(deviceID: $0) })
        } catch let refusal as SessionIssuer.Refusal {
            switch refusal.kind {
            case .forbidden: throw ConsoleRefusal(.forbidden, refusal.description)
            case .notFound: throw ConsoleRefusal(.notFound, refusal.description)
            case .conflict, .invalid: throw ConsoleRefusal(.badRequest, refusal.description)
            }
        }
        if takeOver {
            try await store.appendAudit(
                AuditEntry(
                    at: Date(), event: .sessionTakeOver, actor: "console:\(user.id)", userID: user.id, deviceID: device.id,
                    sessionID: issued.record.id, mode: mode, reason: reason))
        }
        var values = Self.pageValues("Connect to \(device.id)", user: user, session: session)
        values["connect"] = ConnectInstructions(url: issued.url).values
        values["session"] = Self.sessionValues(issued.record)
        return html(pages.render("connect", values))
    }
}

/// What the connect page tells the user to run, for a session's `bmstunnel://` URL.
struct ConnectInstructions {
    let url: String

    /// The Linux and macOS command: a virtual serial port at `/tmp/bms` (a PTY).
    var ptyCommand: String { "tunnel-connect --pty /tmp/bms \(Self.quoted(url))" }
    /// A raw TCP port for a Control Panel (or a test) that speaks TCP.
    var tcpCommand: String { "tunnel-connect --tcp 127.0.0.1:7000 \(Self.quoted(url))" }
    /// Windows: an RFC 2217 port that a virtual COM port bridge connects to.
    var rfc2217Command: String { "tunnel-connect --rfc2217 127.0.0.1:7000 \(Self.quoted(url))" }

    var values: [String: Any] {
        ["url": url, "pty": ptyCommand, "tcp": tcpCommand, "rfc2217": rfc2217Command]
    }

    /// `text` in single quotes for a POSIX shell (a token holds only URL-safe characters,
    /// but a quote is escaped anyway).
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
