import Foundation
import TunnelTransport

/// Who a relay node is in a cluster: the name its presence rows and heartbeat carry, and the
/// `host:port` at which the other nodes reach it. Both come from flags, so both are checked
/// here before the store sees them.
public struct NodeIdentity: Sendable, Equatable {
    /// The longest address kept; a `host:port` with a full DNS name fits well within it.
    public static let maximumAddressLength = 261

    /// 1 to 64 letters, digits, `.`, `_` or `-`; unique among the nodes sharing a store.
    public let name: String
    /// `host:port` (or `[v6]:port`) the other nodes reach this one at.
    public let address: String

    /// Checks `name` and `address`; the errors name the flag that was wrong.
    public init(name: String, address: String) throws {
        guard Identifier.isValid(name) else {
            throw NodeIdentityError.invalidName(name)
        }
        guard address.utf8.count <= Self.maximumAddressLength, (try? RelayAddress(parsing: address)) != nil,
            address.unicodeScalars.allSatisfy({ $0.isASCII && !$0.properties.isWhitespace && $0.value >= 0x21 })
        else {
            throw NodeIdentityError.invalidAddress(address)
        }
        self.name = name
        self.address = address
    }

    /// The address a node has without `--node-address`: its name and tunnel port (7443 when the
    /// port is 0, a free one picked at start, which is no address anyone could be told).
    public static func defaultAddress(name: String, listenPort: Int) -> String {
        "\(name):\(listenPort == 0 ? 7443 : listenPort)"
    }

    /// The name a node has without `--node-name`: the host's name up to its first dot (a
    /// host's short name is what operators call it), or `relay` when that is not a valid name.
    public static func defaultName(hostName: String = ProcessInfo.processInfo.hostName) -> String {
        let short = String(hostName.prefix { $0 != "." })
        return Identifier.isValid(short) ? short : "relay"
    }
}

/// A node name or address that cannot be used, naming the flag.
public enum NodeIdentityError: Error, Equatable, CustomStringConvertible {
    case invalidName(String)
    case invalidAddress(String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "--node-name \"\(name.prefix(80))\" must be 1 to 64 letters, digits, '.', '_' or '-'"
        case .invalidAddress(let address):
            "--node-address \"\(address.prefix(80))\" must be host:port (or [v6]:port) with a port from 1 to 65535, at most \(NodeIdentity.maximumAddressLength) characters"
        }
    }
}
