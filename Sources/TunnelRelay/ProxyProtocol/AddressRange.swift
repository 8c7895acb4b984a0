import NIOCore
import SharedWire

/// An IPv4 or IPv6 address range in CIDR notation (`10.0.0.0/8`, `::1/128`, or a single
/// address): the balancers a listener takes PROXY protocol headers from.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    /// The network's bytes (4 or 16), bits past the prefix cleared.
    private let network: [UInt8]
    /// Leading bits that must match.
    private let prefixLength: Int

    /// Parses `address[/prefix]`; throws naming what is wrong.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let address = try? SocketAddress(ipAddress: parts[0], port: 0), let bytes = address.packedBytes else {
            throw AddressRangeError(text: text, reason: "\(parts[0]) is not an IPv4 or IPv6 address")
        }
        let bits = bytes.count * 8
        var prefixLength = bits
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...bits).contains(length) else {
                throw AddressRangeError(text: text, reason: "the prefix length must be a number from 0 to \(bits)")
            }
            prefixLength = length
        }
        self.prefixLength = prefixLength
        self.network = Self.masked(bytes, prefixLength)
    }

    /// Whether `address` lies in this range (an IPv4 address never lies in an IPv6 range).
    public func contains(_ address: SocketAddress) -> Bool {
        guard let bytes = address.packedBytes, bytes.count == network.count else { return false }
        return Self.masked(bytes, prefixLength) == network
    }

    public var description: String {
        let address = (try? SocketAddress(packedIPAddress: ByteBuffer(bytes: network), port: 0))?.ipAddress ?? "?"
        return "\(address)/\(prefixLength)"
    }

    /// `bytes` with every bit past the first `prefixLength` cleared.
    private static func masked(_ bytes: [UInt8], _ prefixLength: Int) -> [UInt8] {
        bytes.indices.map { index in
            let kept = min(max(prefixLength - index * 8, 0), 8)
            return kept == 0 ? 0 : bytes[index] & UInt8(truncatingIfNeeded: 0xFF << (8 - kept))
        }
    }
}

/// An address range that does not parse.
public struct AddressRangeError: Error, CustomStringConvertible {
    public let text: String
    public let reason: String

    public var description: String { "\"\(text)\" is not an address range (address or address/prefix): \(reason)" }
}
