import Hummingbird
import Logging

/// Every error leaves as JSON with a stable code: the API's own, the framework's (no such
/// route, body too large), a store that does not answer (503), and unexpected ones (500,
/// logged, no details leaked).
struct AdminErrorMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    let metrics: RelayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        metrics.adminRequests.increment()
        do {
            return try await next(request, context)
        } catch let error as AdminError {
            throw error
        } catch let error as HTTPError {
            let message =
                error.body ?? (error.status == .notFound ? "no route \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            throw AdminError(error.status, AdminError.code(for: error.status), message)
        } catch StoreError.unavailable(let reason) {
            // Where the store is stays in the log: callers may not have authenticated yet.
            context.logger.warning("Admin API request failed: the store is not answering", metadata: ["error": "\(reason)"])
            throw AdminError(.serviceUnavailable, "storeUnavailable", "the relay's store is not answering; try again shortly")
        } catch let error as HTTPResponseError {
            throw AdminError(error.status, AdminError.code(for: error.status), error.status.reasonPhrase)
        } catch {
            context.logger.error("Admin API request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw AdminError(.internalServerError, "internal", "the relay could not complete the request; see its log")
        }
    }
}
