/// A Telnet option number. Any value can arrive; the ones RFC 2217 uses are named.
public struct TelnetOption: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// 8-bit data path (RFC 856), used both ways.
    public static let binary = TelnetOption(rawValue: 0)
    /// Echo (RFC 857); a serial port server does not echo.
    public static let echo = TelnetOption(rawValue: 1)
    /// SUPPRESS-GO-AHEAD (RFC 858): full duplex without GA.
    public static let suppressGoAhead = TelnetOption(rawValue: 3)
    /// COM-PORT-OPTION (RFC 2217).
    public static let comPort = TelnetOption(rawValue: 44)

    public var description: String {
        switch self {
        case .binary: "BINARY"
        case .echo: "ECHO"
        case .suppressGoAhead: "SUPPRESS-GO-AHEAD"
        case .comPort: "COM-PORT-OPTION"
        default: "option \(rawValue)"
        }
    }
}
