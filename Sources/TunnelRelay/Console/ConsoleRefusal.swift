import HTTPTypes

/// A console request refused: shown as a page (or, for sign-in, a redirect to it) by
/// `ConsoleMiddleware`.
struct ConsoleRefusal: Error, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        /// No valid session: back to the sign-in page.
        case signIn
        case badRequest
        case forbidden
        case notFound
        /// Too many failed sign-ins; try again after this many seconds.
        case tooManyAttempts(wait: Int)
    }

    let kind: Kind
    let message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    var status: HTTPResponse.Status {
        switch kind {
        case .signIn: .seeOther
        case .badRequest: .badRequest
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .tooManyAttempts: .tooManyRequests
        }
    }

    var description: String { message }
}
