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
        /// The request cannot be served now (the node holding the agent is out of reach).
        case conflict
        /// A bound was reached (live streams of one device).
        case tooManyRequests
        /// Too many failed sign-ins; try again after this many seconds.
        case tooManyAttempts(wait: Int)
        /// The store is not answering.
        case unavailable
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
        case .conflict: .conflict
        case .tooManyRequests: .tooManyRequests
        case .tooManyAttempts: .tooManyRequests
        case .unavailable: .serviceUnavailable
        }
    }

    /// A store's refusal as the page shows it: what exists already is a conflict, what is
    /// missing not found, a wrong value a bad request.
    init(_ error: StoreError) {
        switch error {
        case .deviceExists, .deviceOfOtherCustomer, .customerExists, .userExists: self.init(.conflict, error.description)
        case .deviceNotFound, .customerNotFound, .userNotFound, .apiKeyNotFound: self.init(.notFound, error.description)
        case .invalid: self.init(.badRequest, error.description)
        case .unavailable: self.init(.unavailable, "the relay's store is not answering; try again shortly")
        }
    }

    var description: String { message }
}
