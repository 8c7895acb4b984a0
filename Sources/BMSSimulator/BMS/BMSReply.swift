import SharedWire

/// What the simulated BMS does with one received sentence: the lines it answers and how it
/// took the sentence (for the journal).
public struct BMSReply: Equatable, Sendable {
    /// How a sentence was taken.
    public enum Outcome: String, Equatable, Sendable {
        /// A read request, answered.
        case answered
        /// A write or command that changed state, answered with its echo.
        case applied
        /// A write or command refused, answered `NAME,ERR,<reason>`.
        case refused
        /// Not a sentence the BMS serves (unknown name or form): no answer.
        case ignored
    }

    /// How the sentence was taken.
    public let outcome: Outcome
    /// The lines to send back, in order.
    public let sentences: [G1Sentence]
    /// Why a write was refused: the keyword of the `ERR` answer.
    public let reason: String?

    static func answered(_ sentences: [G1Sentence]) -> BMSReply { BMSReply(outcome: .answered, sentences: sentences, reason: nil) }
    static func applied(_ sentence: G1Sentence) -> BMSReply { BMSReply(outcome: .applied, sentences: [sentence], reason: nil) }
    static let ignored = BMSReply(outcome: .ignored, sentences: [], reason: nil)

    /// `NAME,ERR,<reason>`.
    static func refused(_ name: String, _ reason: RefusalReason) -> BMSReply {
        BMSReply(outcome: .refused, sentences: [G1Sentence(name: name, fields: ["ERR", reason.rawValue])], reason: reason.rawValue)
    }

    /// The keywords of refusals.
    enum RefusalReason: String {
        /// A password is set and nobody logged in with PW1.
        case login = "LOGIN"
        /// PW1 with the wrong password.
        case password = "PASSWORD"
        /// CF2 names no parameter the BMS has.
        case unknownParameter = "ID"
        /// CF2 writes a parameter that can only be read.
        case readOnly = "READONLY"
        /// The value is outside what the parameter takes.
        case range = "RANGE"
        /// The fields are not of the form the sentence takes.
        case format = "FORMAT"
        /// A write the simulator does not carry out (TC1, TC2, CN2, CS2–CS4, OT1 with fields).
        case unsupported = "UNSUPPORTED"
    }
}
