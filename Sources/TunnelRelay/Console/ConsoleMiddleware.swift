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

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let refusal as ConsoleRefusal {
            response = self.response(for: refusal)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    func response(for refusal: ConsoleRefusal) -> Response {
        if refusal.kind == .signIn {
            var headers: HTTPFields = [.location: "/console/sign-in"]
            headers.append(HTTPField(name: .setCookie, value: ConsoleSessionPolicy.clearingCookie))
            return Response(status: .seeOther, headers: headers)
        }
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        var heading = "Refused"
        if case .tooManyAttempts(let wait) = refusal.kind {
            headers[.retryAfter] = String(wait)
            heading = "Too many attempts"
        }
        let html = pages.render(
            "message", ["title": heading, "heading": heading, "message": refusal.message, "back": "/console", "backLabel": "Back"])
        return Response(status: refusal.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let serverTiming = Self("Server-Timing")!
}
