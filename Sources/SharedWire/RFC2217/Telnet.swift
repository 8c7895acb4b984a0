/// Byte values of the Telnet layer (RFC 854) that RFC 2217 runs on.
public enum Telnet {
    /// Interpret As Command: starts every command; doubled, it is one 0xFF data byte.
    public static let iac: UInt8 = 0xFF
    /// Starts a subnegotiation: `IAC SB <option> … IAC SE`.
    public static let sb: UInt8 = 250
    /// Ends a subnegotiation.
    public static let se: UInt8 = 240
    /// No operation.
    public static let nop: UInt8 = 241
    /// The Telnet BREAK signal (not the serial BREAK of SET-CONTROL).
    public static let brk: UInt8 = 243
    /// Go ahead; meaningless once SUPPRESS-GO-AHEAD is agreed.
    public static let ga: UInt8 = 249
}
