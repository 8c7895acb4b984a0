import Foundation
import NIOCore

/// Which of the relay's listeners sit behind a load balancer that starts every connection
/// with a PROXY protocol version 2 header (HAProxy's `send-proxy-v2`), and which balancers
/// may send one. Off by default: a listener reached directly takes no header, because a
/// client could otherwise name any address it liked.
public struct ProxyProtocolConfiguration: Sendable, Equatable {
    /// The listeners whose connections must start with a header.
    public let listeners: ProxyListeners
    /// Addresses a header is taken from; empty takes it from any. A connection from
    /// elsewhere to a listener that expects a header is closed before it is read.
    public let allowedBalancers: [AddressRange]

    public init(listeners: ProxyListeners = [], allowedBalancers: [AddressRange] = []) {
        self.listeners = listeners
        self.allowedBalancers = allowedBalancers
    }

    /// Whether a connection from `peer` (the socket's own peer: the balancer) may send a
    /// header.
    func allows(_ peer: SocketAddress) -> Bool {
        allowedBalancers.isEmpty || allowedBalancers.contains { $0.contains(peer) }
    }
}

/// A set of the relay's listeners, written `tunnel`, `admin` or `tunnel,admin`.
public struct ProxyListeners: OptionSet, Sendable, Hashable {
    public let rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The tunnel port (`--listen`), agents and clients.
    public static let tunnel = ProxyListeners(rawValue: 1 << 0)
    /// The HTTPS admin API (`--admin-listen`).
    public static let admin = ProxyListeners(rawValue: 1 << 1)

    /// The names each listener is written with.
    static let names: [(String, ProxyListeners)] = [("tunnel", .tunnel), ("admin", .admin)]

    /// Parses a comma-separated list of listener names (or `off`); `nil` for an unknown name.
    public init?(names text: String) {
        self = []
        guard text != "off" else { return }
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let listener = Self.names.first(where: { $0.0 == name.trimmingCharacters(in: .whitespaces) })?.1 else {
                return nil
            }
            insert(listener)
        }
    }

    /// The names of the listeners in the set, comma-separated, or `off`.
    public var names: String {
        let named = Self.names.filter { contains($0.1) }.map(\.0)
        return named.isEmpty ? "off" : named.joined(separator: ",")
    }
}
