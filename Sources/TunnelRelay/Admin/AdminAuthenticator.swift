import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// Authenticates `/v1` requests by API key (`Authorization: Bearer ak1.<id>.<secret>`); keys
/// are stored hashed and compared in constant time by the store. A source that fails too often
/// within the window is refused (429) before its key is even looked at.
struct AdminAuthenticator: RouterMiddleware {
    typealias Context = AdminRequestContext
    let store: any RelayStore
    let limiter: NIOLockedValueBox<SourceLimiter>
    let metrics: RelayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let lockout = limiter.withLockedValue({ $0.lockout(of: context.source, now: .now()) }) {
            var error = AdminError(.tooManyRequests, "tooManyFailures", lockout)
            error.headers[.retryAfter] = "60"
            throw error
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let key = APIKey(parsing: String(header.dropFirst("Bearer ".count)))
        else {
            throw failure(context, "an API key is required: Authorization: Bearer ak1.<id>.<secret>")
        }
        switch try await metrics.timed({ try await store.verifyAPIKey(key, now: Date()) }) {
        case .valid(_, let user):
            var context = context
            context.user = user
            return try await next(request, context)
        case .revoked:
            throw failure(context, "the API key is revoked")
        case .unknown:
            throw failure(context, "unknown API key")
        }
    }

    private func failure(_ context: Context, _ message: String) -> AdminError {
        limiter.withLockedValue { $0.authenticationFailed(from: context.source, now: .now()) }
        metrics.adminAuthFailures.increment()
        return AdminError(.unauthorized, "unauthenticated", message)
    }
}
