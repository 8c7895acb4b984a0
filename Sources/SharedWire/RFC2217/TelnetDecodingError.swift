/// A Telnet byte stream that breaks the grammar. The connection that sent it is closed.
public enum TelnetDecodingError: Error, Equatable, CustomStringConvertible {
    /// A subnegotiation grew past the cap without its closing `IAC SE`.
    case subnegotiationTooLong(limit: Int)
    /// Inside `IAC SB … IAC SE`, IAC was followed by something other than IAC or SE.
    case commandInsideSubnegotiation(UInt8)
    /// `IAC SB IAC SE` with no option number.
    case emptySubnegotiation
    /// `IAC SB 44 IAC SE`: a COM-PORT-OPTION subnegotiation without its command byte.
    case comPortWithoutCommand

    public var description: String {
        switch self {
        case .subnegotiationTooLong(let limit):
            "Telnet subnegotiation longer than \(limit) bytes without IAC SE"
        case .commandInsideSubnegotiation(let byte):
            "Telnet subnegotiation holds IAC \(byte); only IAC IAC or IAC SE may follow IAC there"
        case .emptySubnegotiation:
            "Telnet subnegotiation IAC SB IAC SE names no option"
        case .comPortWithoutCommand:
            "COM-PORT-OPTION subnegotiation has no command byte"
        }
    }
}
