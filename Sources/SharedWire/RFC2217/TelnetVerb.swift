/// The four option negotiation commands: `IAC <verb> <option>`.
public enum TelnetVerb: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The sender offers to (or agrees to) use the option on its side.
    case will = 251
    /// The sender refuses (or stops) using the option on its side.
    case wont = 252
    /// The sender asks (or agrees) that the peer use the option.
    case `do` = 253
    /// The sender asks that the peer not (or no longer) use the option.
    case dont = 254

    public var description: String {
        switch self {
        case .will: "WILL"
        case .wont: "WONT"
        case .do: "DO"
        case .dont: "DONT"
        }
    }
}
