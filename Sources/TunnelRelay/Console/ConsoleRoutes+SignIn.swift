import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOPosix

/// Signing in (a password or an API key) and out.
extension ConsoleRoutes {
    /// The cookie that ties the sign-in form to the browser that loaded it (double submit), so
    /// another site cannot sign a browser in under its own account.
    static let signInCookieName = "tunnel_console_signin"
    /// Compared against when a user has no password, so an unknown user takes as long to
    /// refuse as a wrong password.
    static let absentPasswordHash = Bcrypt.hash("no password is set for this user", cost: PasswordPolicy.bcryptCost)

    func signInForm(_ request: Request, message: String?, userName: String, status: HTTPResponse.Status = .ok) -> Response {
        let existing = request.cookies[Self.signInCookieName]?.value ?? ""
        let token = existing.isEmpty ? ConsoleToken.random() : existing
        var values: [String: Any] = ["title": "Sign in", "csrf": token, "userName": userName]
        if let message { values["message"] = message }
        var response = html(pages.render("signin", values), status: status)
        response.headers.append(
            HTTPField(
                name: .setCookie,
                value: "\(Self.signInCookieName)=\(token); Path=/console/sign-in; HttpOnly; Secure; SameSite=Strict"))
        return response
    }

    func signIn(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let form = try await Self.form(request, context)
        guard let expected = request.cookies[Self.signInCookieName]?.value,
            ConsoleToken.csrfMatches(expected: expected, presented: form["csrf"])
        else {
            throw ConsoleRefusal(.forbidden, "the sign-in form's anti-forgery token is missing or wrong; reload the sign-in page")
        }
        let userName = (form["user"] ?? "").trimmingCharacters(in: .whitespaces)
        let apiKey = (form["apiKey"] ?? "").trimmingCharacters(in: .whitespaces)
        var keys = [SignInLimiter.addressKey(context.source)]
        if apiKey.isEmpty && !userName.isEmpty { keys.append(SignInLimiter.userKey(userName)) }
        if let wait = limiter.withLockedValue({ $0.wait(for: keys, now: Date()) }) {
            let seconds = Int(wait.rounded(.up))
            logger.warning("Console sign-in refused: too many failures", metadata: ["source": "\(context.source)", "user": "\(userName)"])
            throw ConsoleRefusal(
                .tooManyAttempts(wait: seconds),
                "too many failed sign-ins from this address or for this user; try again in \(seconds) seconds")
        }
        let outcome =
            apiKey.isEmpty
            ? try await checkPassword(user: userName, password: form["password"] ?? "")
            : try await checkAPIKey(apiKey)
        switch outcome {
        case .failure(let reason):
            limiter.withLockedValue { $0.failed(keys, now: Date()) }
            try await store.appendAudit(
                AuditEntry(
                    at: Date(), event: .consoleSignInRefused, actor: "console", userID: userName.isEmpty ? nil : userName,
                    reason: reason, source: context.source))
            return signInForm(
                request, message: "Sign-in failed: wrong user, password or API key.", userName: userName, status: .unauthorized)
        case .success(let (user, how)):
            let token = ConsoleToken.random()
            let now = Date()
            try await store.createConsoleSession(
                ConsoleSessionRecord(
                    tokenHash: ConsoleToken.hash(token), userID: user.id, csrfToken: ConsoleToken.random(), createdAt: now, lastUsedAt: now),
                expiredBefore: now.addingTimeInterval(-ConsoleSessionPolicy.absoluteTimeout),
                idleBefore: now.addingTimeInterval(-ConsoleSessionPolicy.idleTimeout))
            try await store.appendAudit(
                AuditEntry(
                    at: now, event: .consoleSignIn, actor: "console:\(user.id)", userID: user.id, reason: how, source: context.source))
            return Self.redirect("/console", cookies: [ConsoleSessionPolicy.cookie(token: token)])
        }
    }

    func signOut(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        _ = try await checkedForm(request, context, session: session)
        try await store.deleteConsoleSession(tokenHash: session.tokenHash)
        try await store.appendAudit(
            AuditEntry(at: Date(), event: .consoleSignOut, actor: "console:\(user.id)", userID: user.id, source: context.source))
        return Self.redirect("/console/sign-in", cookies: [ConsoleSessionPolicy.clearingCookie])
    }

    /// `/console/account`: the user's own sign-ins (when made, when last used; this one
    /// marked), with a form that signs out every other.
    func accountPage(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let sessions = try await store.consoleSessions(userID: user.id)
        var values = Self.pageValues("Your sign-ins", user: user, session: session)
        values["signIns"] = sessions.map { record -> [String: Any] in
            [
                "createdAt": Self.time(record.createdAt), "lastUsedAt": Self.time(record.lastUsedAt),
                "current": record.tokenHash == session.tokenHash,
            ]
        }
        values["others"] = sessions.count > 1
        return html(pages.render("account", values))
    }

    /// Signs the user out of every browser but this one, audited.
    func signOutElsewhere(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        _ = try await checkedForm(request, context, session: session)
        let ended = try await store.deleteConsoleSessions(userID: user.id, except: session.tokenHash)
        try await store.appendAudit(
            AuditEntry(
                at: Date(), event: .consoleSignedOutElsewhere, actor: "console:\(user.id)", userID: user.id,
                reason: "\(ended) other sign-in\(ended == 1 ? "" : "s") ended", source: context.source))
        return Self.redirect("/console/account")
    }

    /// A signed-in user and how they proved it, or why not (for the audit log only: the page
    /// says the same thing for every failure).
    enum SignInOutcome {
        case success((UserRecord, String))
        case failure(String)
    }

    private func checkPassword(user userName: String, password: String) async throws -> SignInOutcome {
        guard (try? UserRecord.validate(id: userName)) != nil, !password.isEmpty else {
            return .failure("no valid user name or no password given")
        }
        let stored = try await store.passwordHash(userID: userName)
        // bcrypt takes a few hundred milliseconds by design: off the event loops (the fixed
        // hash too, made on first use).
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: stored ?? Self.absentPasswordHash) }
        guard stored != nil else { return .failure("user has no password or does not exist") }
        guard matches, let user = try await store.user(id: userName) else { return .failure("wrong password") }
        return .success((user, "password"))
    }

    private func checkAPIKey(_ text: String) async throws -> SignInOutcome {
        guard let key = APIKey(parsing: text) else { return .failure("malformed API key") }
        switch try await store.verifyAPIKey(key, now: Date()) {
        case .valid(_, let user): return .success((user, "API key \(key.keyID)"))
        case .revoked: return .failure("revoked API key \(key.keyID)")
        case .unknown: return .failure("unknown API key \(key.keyID)")
        }
    }
}
