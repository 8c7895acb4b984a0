import NIOCore

/// One element of a Telnet byte stream as the decoder reads it.
public enum TelnetEvent: Equatable, Sendable {
    /// Data bytes, unescaped (an `IAC IAC` arrives as one 0xFF). A run of data may arrive
    /// split into several events; their concatenation is the data.
    case data(ByteBuffer)
    /// `IAC WILL/WONT/DO/DONT <option>`.
    case negotiation(TelnetVerb, TelnetOption)
    /// `IAC SB 44 <command> <value…> IAC SE`, the value unescaped.
    case comPort(command: UInt8, value: ByteBuffer)
    /// A subnegotiation of another option: `IAC SB <option> <bytes…> IAC SE`, unescaped.
    case subnegotiation(TelnetOption, ByteBuffer)
    /// Any other `IAC <command>` (NOP, BREAK, GA, …, or a stray SE).
    case command(UInt8)
}
