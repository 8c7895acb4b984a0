import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Wraps every console response: the security headers (a strict Content-Security-Policy that
/// allows no inline script or style, no sniffing, no referrer beyond the relay, no framing),
/// and refusals shown as pages.
struct ConsoleMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    let pages: ConsolePages
    let logger: Logger

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let refusal as ConsoleRefusal {
            response = self.response(for: refusal)
        } catch let error as StoreError {
            if case .unavailable(let reason) = error {
                logger.warning("Console request failed: the store is not answering", metadata: ["error": "\(reason)"])
            }
            response = self.response(for: ConsoleRefusal(error))
        } catch let error as any HTTPResponseError {
            // Hummingbird's own refusals (a body too large, say) keep their status.
            response = page(status: error.status, heading: "Refused", message: "the request was refused (\(error.status))")
        } catch {
            logger.error("Console request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = page(
                status: .internalServerError, heading: "Something went wrong",
                message: "the relay could not answer this page; its log has the reason")
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        response.headers[.serverTiming] = Self.serverTiming(ContinuousClock.now - started)
        return response
    }

    func response(for refusal: ConsoleRefusal) -> Response {
        if refusal.kind == .signIn {
            var headers: HTTPFields = [.location: "/console/sign-in"]
            headers.append(HTTPField(name: .setCookie, value: ConsoleSessionPolicy.clearingCookie))
            return Response(status: .seeOther, headers: headers)
        }
        guard case .tooManyAttempts(let wait) = refusal.kind else {
            return page(status: refusal.status, heading: "Refused", message: refusal.message)
        }
        var response = page(status: refusal.status, heading: "Too many attempts", message: refusal.message)
        response.headers[.retryAfter] = String(wait)
        return response
    }

    /// The time the relay spent before the response's head (for a page, all of it; for a
    /// stream or a download, until it starts), as `Server-Timing: app;dur=<ms>`.
    static func serverTiming(_ spent: Duration) -> String {
        let milliseconds = Double(spent.components.seconds) * 1000 + Double(spent.components.attoseconds) / 1e15
        return "app;dur=\(String(format: "%.1f", milliseconds))"
    }

    /// A page with a heading, a message and a way back.
    func page(status: HTTPResponse.Status, heading: String, message: String) -> Response {
        let html = pages.render(
            "message", ["title": heading, "heading": heading, "message": message, "back": "/console", "backLabel": "Back"])
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let serverTiming = Self("Server-Timing")!
}
