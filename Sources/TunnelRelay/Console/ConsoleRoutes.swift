import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The web console's routes under `/console`, on the admin port with its TLS, users, roles
/// and store. What a page offers follows the user's role; every action is checked again here
/// with the same rules as the admin API.
struct ConsoleRoutes: Sendable {
    let store: any RelayStore
    let relay: RelayServer
    /// host:port put in connect URLs (`bmstunnel://<publicAddress>/<token>`).
    let publicAddress: String
    let pages: ConsolePages
    let limiter: NIOLockedValueBox<SignInLimiter>
    /// Live presence streams open now (at most `maxPresenceStreams`).
    let streams: NIOLockedValueBox<Int>
    let logger: Logger

    init(store: any RelayStore, relay: RelayServer, publicAddress: String, logger: Logger) throws {
        self.publicAddress = publicAddress
        self.store = store
        self.relay = relay
        self.pages = try ConsolePages()
        self.limiter = NIOLockedValueBox(SignInLimiter())
        self.streams = NIOLockedValueBox(0)
        self.logger = logger
    }

    /// Adds the console's routes to the admin API's router (before its API-key check).
    func add(to router: Router<AdminRequestContext>) {
        let console = router.group("console").add(middleware: ConsoleMiddleware(pages: pages, logger: logger))
        console.get("assets/:name") { _, context in try asset(context) }
        console.get("sign-in") { request, _ in signInForm(request, message: nil, userName: "") }
        console.post("sign-in") { request, context in try await signIn(request, context) }
        console.post("sign-out") { request, context in try await signOut(request, context) }
        console.get("account") { request, context in try await accountPage(request, context) }
        console.post("account/sign-out-elsewhere") { request, context in try await signOutElsewhere(request, context) }
        console.get { request, context in try await fleet(request, context) }
        console.get("fleet") { request, context in try await fleet(request, context) }
        console.get("devices/:id") { request, context in try await devicePage(request, context) }
        console.post("devices/:id/revoke") { request, context in try await revoke(request, context) }
        console.post("devices/:id/connect") { request, context in try await connect(request, context) }
        console.get("sessions") { request, context in try await sessionsPage(request, context) }
        console.get("sessions/:id") { request, context in try await sessionPage(request, context) }
        console.post("sessions/:id/end") { request, context in try await endSession(request, context) }
        console.get("sessions/:id/watch") { request, context in try await watchPage(request, context) }
        console.get("sessions/:id/watch/events") { request, context in try await watchEvents(request, context) }
        console.get("sessions/:id/replay") { request, context in try await replayPage(request, context) }
        console.get("sessions/:id/capture.json") { request, context in try await replaySentences(request, context) }
        console.get("sessions/:id/capture.jsonl") { request, context in try await captureDownload(request, context) }
        console.get("audit") { request, context in try await auditPage(request, context) }
        console.get("audit.csv") { request, context in try await auditCSV(request, context) }
        console.get("admin") { request, context in try await adminPage(request, context) }
        console.post("admin/customers") { request, context in try await addCustomer(request, context) }
        console.post("admin/users") { request, context in try await addUser(request, context) }
        console.get("admin/users/:id") { request, context in try await userPage(request, context) }
        console.post("admin/users/:id/keys") { request, context in try await createKey(request, context) }
        console.post("admin/users/:id/change") { request, context in try await changeUser(request, context) }
        console.post("admin/keys/:id/revoke") { request, context in try await revokeKey(request, context) }
        console.post("admin/devices") { request, context in try await addDevice(request, context) }
        console.post("devices/:id/reset") { request, context in try await resetDevice(request, context) }
        console.post("devices/:id/move") { request, context in try await moveDevice(request, context) }
        console.get("events/presence") { request, context in try await presenceEvents(request, context) }
        console.get("devices/:id/telemetry") { request, context in try await telemetryEvents(request, context) }
    }

    // MARK: Sessions

    /// Who is signed in, with the session; refused (back to sign-in) without a valid cookie.
    func signedIn(_ request: Request) async throws -> (UserRecord, ConsoleSessionRecord) {
        guard let token = request.cookies[ConsoleSessionPolicy.cookieName]?.value, !token.isEmpty else {
            throw ConsoleRefusal(.signIn, "sign in first")
        }
        let hash = ConsoleToken.hash(token)
        let now = Date()
        guard let session = try await store.consoleSession(tokenHash: hash) else { throw ConsoleRefusal(.signIn, "unknown session") }
        switch ConsoleSessionPolicy.verdict(for: session, now: now) {
        case .expired:
            try await store.deleteConsoleSession(tokenHash: hash)
            throw ConsoleRefusal(.signIn, "the session has expired")
        case .valid(let touch):
            if touch { try await store.touchConsoleSession(tokenHash: hash, at: now) }
        }
        guard let user = try await store.user(id: session.userID) else { throw ConsoleRefusal(.signIn, "the user no longer exists") }
        return (user, session)
    }

    /// A state-changing form's fields, once its anti-forgery token matched the session's.
    func checkedForm(_ request: Request, _ context: AdminRequestContext, session: ConsoleSessionRecord) async throws -> [String: String] {
        let form = try await Self.form(request, context)
        guard ConsoleToken.csrfMatches(expected: session.csrfToken, presented: form["csrf"]) else {
            throw ConsoleRefusal(
                .forbidden, "the form's anti-forgery token is missing or wrong; reload the page and submit it again")
        }
        return form
    }

    /// An `application/x-www-form-urlencoded` body as fields (the last of a repeated name).
    static func form(_ request: Request, _ context: AdminRequestContext) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 16 * 1024)
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[decoded(parts[0])] = parts.count > 1 ? decoded(parts[1]) : ""
        }
        return fields
    }

    /// The values every signed-in page's header needs.
    static func pageValues(_ title: String, user: UserRecord, session: ConsoleSessionRecord) -> [String: Any] {
        [
            "title": title, "user": ["id": user.id, "role": user.role.rawValue, "isAdmin": user.role == .admin] as [String: Any],
            "csrf": session.csrfToken,
        ]
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    // MARK: Assets

    private func asset(_ context: AdminRequestContext) throws -> Response {
        let name = try context.parameters.require("name")
        guard let asset = pages.assets.byName[name] else { throw ConsoleRefusal(.notFound, "no console asset \(name)") }
        return Response(
            status: .ok, headers: [.contentType: asset.contentType, .cacheControl: ConsoleAssets.cacheControl],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
