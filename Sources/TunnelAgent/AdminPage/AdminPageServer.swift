import AgentConfig
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ProgramSupport
import ServiceLifecycle
import TunnelPKI

/// The gateway's local admin page (the vendor settings' `wifi.admin_page`): HTTPS on the local
/// network with the agent's own certificate, the passkey to sign in (`AdminPageGate`), a
/// status page and the editors of the two configuration files (`AdminPageEditor`). If it
/// cannot serve, it says so in the log and the agent runs on without it.
final class AdminPageServer: Service, Sendable {
    /// Largest request body read: a form with one configuration file.
    static let maxBodyBytes = AdminPageEditor.maxFileBytes * 4
    static let cookie = "tunnel_agent_session"

    struct Sources: Sendable {
        let configuration: AgentConfiguration
        let facts: AgentFacts
        let editor: AdminPageEditor
        let telemetry: LiveTelemetryFeed
        let queue: TelemetryQueue?
        let sessions: @Sendable () -> Int
    }

    private let application: Application<RouterResponder<AdminPageContext>>
    private let logger: Logger

    init(settings: AgentSettings.AdminPage, certificate: AdminPageCertificate, sources: Sources, logger: Logger) throws {
        guard let address = settings.listenAddress else { throw DiagnoseError("admin_page.listen \(settings.listen) is not host:port") }
        self.logger = logger
        let gate = NIOLockedValueBox(AdminPageGate(passkey: settings.passkey, timeout: settings.timeout))
        let tls = TLSPolicy.httpsServer(
            chain: try NIOSSLCertificate.fromPEMBytes(Array(certificate.certificatePEM.utf8)),
            key: try NIOSSLPrivateKey(bytes: Array(certificate.keyPEM.utf8), format: .pem))
        let router = Router(context: AdminPageContext.self)
        Self.addRoutes(to: router, gate: gate, sources: sources, fingerprint: certificate.fingerprint, logger: logger)
        application = Application(
            router: router,
            server: try .tls(.http1(configuration: .init(idleTimeout: .seconds(30))), tlsConfiguration: tls),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "tunnel-agent"),
            logger: logger)
    }

    func run() async throws {
        do {
            try await application.run()
        } catch {
            logger.error("Admin page stopped; the agent keeps running", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
        }
    }

    // MARK: - Routes

    private static func addRoutes(
        to router: Router<AdminPageContext>, gate: NIOLockedValueBox<AdminPageGate>, sources: Sources, fingerprint: String,
        logger: Logger
    ) {
        @Sendable func session(_ request: Request) -> AdminPageGate.Session? {
            gate.withLockedValue { $0.session(request.cookies[cookie]?.value, now: Date()) }
        }

        router.get("/") { request, _ -> Response in
            guard let session = session(request) else { return html(AdminPageView.signIn(message: nil)) }
            return html(AdminPageView.status(await status(sources, fingerprint: fingerprint), csrf: session.csrfToken))
        }

        router.post("/sign-in") { request, context -> Response in
            let form = try await Self.form(request, context)
            let answer = gate.withLockedValue {
                $0.signIn(passkey: form["passkey"] ?? "", from: context.source, now: Date()) { randomToken() }
            }
            switch answer {
            case .signedIn(let token):
                logger.notice("Admin page: signed in", metadata: ["source": "\(context.source)"])
                var response = redirect("/")
                response.headers[.setCookie] = "\(cookie)=\(token); Path=/; Secure; HttpOnly; SameSite=Strict"
                return response
            case .wrongPasskey:
                logger.warning("Admin page: wrong passkey", metadata: ["source": "\(context.source)"])
                return html(AdminPageView.signIn(message: "Wrong passkey."), status: .unauthorized)
            case .lockedOut(let seconds):
                logger.warning("Admin page: sign-in refused, too many failures", metadata: ["source": "\(context.source)"])
                return html(
                    AdminPageView.signIn(message: "Too many failed sign-ins; try again in \(seconds) s."), status: .tooManyRequests)
            }
        }

        router.post("/sign-out") { request, context -> Response in
            let form = try await Self.form(request, context)
            if let session = session(request), form["csrf"] == session.csrfToken {
                gate.withLockedValue { $0.signOut(request.cookies[cookie]?.value) }
            }
            var response = redirect("/")
            response.headers[.setCookie] = "\(cookie)=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"
            return response
        }

        router.get("/edit/:file") { request, context -> Response in
            guard let session = session(request) else { return redirect("/") }
            let file = try context.parameters.require("file")
            guard AdminPageEditor.files.contains(file) else {
                return html(AdminPageView.page("Not found", "<p>No such file.</p>"), status: .notFound)
            }
            return html(
                AdminPageView.editor(
                    file: file, text: sources.editor.maskedText(of: file), problems: [], notice: nil, csrf: session.csrfToken))
        }

        router.post("/edit/:file") { request, context -> Response in
            guard let session = session(request) else { return redirect("/") }
            let file = try context.parameters.require("file")
            guard AdminPageEditor.files.contains(file) else {
                return html(AdminPageView.page("Not found", "<p>No such file.</p>"), status: .notFound)
            }
            let form = try await Self.form(request, context)
            guard form["csrf"] == session.csrfToken else {
                return html(AdminPageView.page("Refused", "<p>The form is stale; reload the page.</p>"), status: .forbidden)
            }
            let text = form["text"] ?? ""
            let (problems, notice, afterwards) = sources.editor.save(file, text: text)
            logger.notice(
                "Admin page: configuration saved or refused",
                metadata: ["file": "\(file)", "source": "\(context.source)", "problems": "\(problems.count)"])
            if let afterwards {
                // After the answer is on its way: the restart stops this server too.
                Task {
                    try? await Task.sleep(for: .milliseconds(500))
                    afterwards()
                }
            }
            let shown = problems.isEmpty ? sources.editor.maskedText(of: file) : text
            return html(
                AdminPageView.editor(file: file, text: shown, problems: problems, notice: notice, csrf: session.csrfToken),
                status: problems.isEmpty ? .ok : .unprocessableContent)
        }
    }

    private static func status(_ sources: Sources, fingerprint: String) async -> AdminPageView.Status {
        var queue: (Int, Int, Int64, Date?)?
        if let live = sources.queue {
            let oldest = try? await live.oldest(after: 0, limit: 1).first.map {
                Date(timeIntervalSince1970: Double($0.record.timestamp) / 1000)
            }
            queue = (await live.count, await live.bytes, await live.dropped, oldest ?? nil)
        }
        let redaction = sources.editor.secretsInEffect()
        return AdminPageView.Status(
            facts: sources.facts.snapshot, settings: sources.configuration, queue: queue, sessions: sources.sessions(),
            telemetry: sources.telemetry.newest(), logLines: LogRing.shared.snapshot.map { redaction.scrub($0) },
            version: ProductVersion.number, fingerprint: fingerprint)
    }

    // MARK: - HTTP details

    private static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    private static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// An `application/x-www-form-urlencoded` body's fields.
    private static func form(_ request: Request, _ context: AdminPageContext) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: maxBodyBytes)
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}

/// Per-request state of the admin page: where the request comes from.
struct AdminPageContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let source: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        self.source = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    var maxUploadSize: Int { AdminPageServer.maxBodyBytes }
}
