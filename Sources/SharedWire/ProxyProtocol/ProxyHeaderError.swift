/// A connection's first bytes that are not a PROXY protocol version 2 header this relay
/// takes. The connection that sent them is closed.
public enum ProxyHeaderError: Error, Equatable, CustomStringConvertible {
    /// The first bytes are not the version 2 signature (a client that bypassed the balancer,
    /// or a balancer not set to send the header). `start` holds the bytes seen, at most 12.
    case notProxyProtocol(start: [UInt8])
    /// A version 1 (text) header, `PROXY TCP4 …`; only version 2 is taken.
    case version1
    /// The version nibble is not 2.
    case unsupportedVersion(UInt8)
    /// The command nibble is neither `LOCAL` (0) nor `PROXY` (1).
    case unknownCommand(UInt8)
    /// A family and transport byte other than `UNSPEC` (0x00), TCP over IPv4 (0x11) or TCP
    /// over IPv6 (0x21).
    case unsupportedFamily(UInt8)
    /// The header announces more bytes than `ProxyProtocolLimits.maxHeaderLength`.
    case tooLong(length: Int, limit: Int)
    /// The announced length is shorter than the address block of its family.
    case addressBlockTooShort(family: UInt8, length: Int, needed: Int)
    /// A TLV after the addresses runs past the end of the header.
    case truncatedTLV(type: UInt8?, offset: Int)

    public var description: String {
        switch self {
        case .notProxyProtocol(let start):
            "connection does not start with a PROXY protocol v2 header: first bytes \(start.hexDump), expected \(ProxyProtocolLimits.signature.hexDump)"
        case .version1:
            "connection starts with a PROXY protocol version 1 (text) header; only version 2 is taken (HAProxy: send-proxy-v2)"
        case .unsupportedVersion(let version):
            "PROXY protocol header has version \(version), expected 2"
        case .unknownCommand(let command):
            "PROXY protocol header has command \(command), expected 0 (LOCAL) or 1 (PROXY)"
        case .unsupportedFamily(let family):
            "PROXY protocol header has address family and transport 0x\(family.hex), expected 0x00 (UNSPEC), 0x11 (TCP over IPv4) or 0x21 (TCP over IPv6)"
        case .tooLong(let length, let limit):
            "PROXY protocol header announces \(length) bytes, limit is \(limit)"
        case .addressBlockTooShort(let family, let length, let needed):
            "PROXY protocol header of family 0x\(family.hex) has \(length) bytes after the fixed part, its addresses need \(needed)"
        case .truncatedTLV(let type, let offset):
            if let type {
                "PROXY protocol TLV of type 0x\(type.hex) at offset \(offset) runs past the end of the header"
            } else {
                "PROXY protocol header ends inside a TLV's type and length at offset \(offset)"
            }
        }
    }
}

extension UInt8 {
    /// Two lowercase hex digits.
    fileprivate var hex: String {
        let digits = String(self, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}

extension [UInt8] {
    /// Space-separated hex bytes.
    fileprivate var hexDump: String { map(\.hex).joined(separator: " ") }
}
