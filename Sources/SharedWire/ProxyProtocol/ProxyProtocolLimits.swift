/// The layout and bounds of a PROXY protocol version 2 header, named in one place.
///
/// A load balancer (HAProxy with `send-proxy-v2`) writes one such header at the start of
/// every connection it opens to the relay, before any byte of the client's own, to say which
/// address the client really connected from.
public enum ProxyProtocolLimits {
    /// The twelve bytes every version 2 header starts with. They cannot begin a TLS record,
    /// an HTTP request or a version 1 (text) header, so a receiver tells them apart at once.
    public static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// Bytes before the variable part: signature (12), version and command (1), address
    /// family and transport (1), length of the rest (2, big endian).
    public static let fixedLength = 16

    /// Longest whole header taken: the fixed 16 bytes and 520 of addresses and TLVs. A TCP
    /// over IPv6 block is 36 bytes, so this leaves 484 for TLVs, more than HAProxy sends with
    /// every optional TLV it knows; a header that announces more is refused before any of it
    /// is buffered, so a balancer (or anyone pretending to be one) cannot make the relay
    /// hold more than this per connection before TLS starts.
    public static let maxHeaderLength = 536

    /// Address block of TCP or UDP over IPv4: source and destination address (4 each), then
    /// source and destination port (2 each).
    public static let inet4BlockLength = 12

    /// Address block of TCP or UDP over IPv6: source and destination address (16 each),
    /// then source and destination port (2 each).
    public static let inet6BlockLength = 36

    /// Bytes before a TLV's value: its type (1) and the value's length (2, big endian).
    public static let tlvHeaderLength = 3
}
