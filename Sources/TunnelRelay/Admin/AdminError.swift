import Foundation
import HTTPTypes
import Hummingbird

/// An error the admin API answers with: a status, a stable code and a message, as
/// `{"error": {"code": "...", "message": "..."}}`.
public struct AdminError: Error, HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    /// Stable, for programs: `notFound`, `forbidden`, `badRequest`, …
    public let code: String
    /// For people: what was wrong and what is expected.
    public let message: String
    var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// The JSON body.
    private struct Body: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
        }

        let error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let body = String(decoding: try encoder.encode(Body(error: .init(code: code, message: message))), as: UTF8.self)
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The stable code for an HTTP status the framework raised (no route, body too large…).
    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "badRequest"
        case 401: "unauthenticated"
        case 403: "forbidden"
        case 404: "notFound"
        case 405: "methodNotAllowed"
        case 409: "conflict"
        case 413: "bodyTooLarge"
        case 429: "tooManyFailures"
        default: status.code >= 500 ? "internal" : "httpError"
        }
    }
}
