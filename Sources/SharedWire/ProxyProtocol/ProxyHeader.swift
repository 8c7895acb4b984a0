import NIOCore

/// What a PROXY protocol version 2 header says about the connection it starts.
public enum ProxyHeader: Equatable, Sendable {
    /// `LOCAL`: the balancer's own connection (a health check). The socket's peer is the
    /// balancer itself and stands as the connection's address.
    case local
    /// `PROXY` with the `UNSPEC` family: the balancer relays a connection whose addresses
    /// it does not know or will not say. The socket's peer stands.
    case unspecified
    /// `PROXY` over TCP: the client's address and port, and the address and port it
    /// connected to on the balancer.
    case proxied(source: SocketAddress, destination: SocketAddress)

    /// The address the connection really comes from, or `nil` when the socket's own peer
    /// address stands (`LOCAL`, `UNSPEC`).
    public var clientAddress: SocketAddress? {
        if case .proxied(let source, _) = self { return source }
        return nil
    }
}

/// The command in the low nibble of a version 2 header's thirteenth byte.
public enum ProxyCommand: UInt8, Sendable {
    /// The balancer's own connection; the addresses carried, if any, are to be ignored.
    case local = 0x0
    /// A relayed connection; the addresses carried are the client's and the balancer's.
    case proxy = 0x1
}

/// The address family and transport of a version 2 header's fourteenth byte that a TCP
/// listener takes. UDP and UNIX-socket families are valid in the protocol but describe
/// connections a TCP relay cannot be sent; they are refused as `ProxyHeaderError.unsupportedFamily`.
public enum ProxyAddressFamily: UInt8, Sendable {
    /// No address is carried.
    case unspecified = 0x00
    /// TCP over IPv4: a 12-byte address block.
    case tcp4 = 0x11
    /// TCP over IPv6: a 36-byte address block.
    case tcp6 = 0x21

    /// Bytes of the address block this family carries.
    var blockLength: Int {
        switch self {
        case .unspecified: 0
        case .tcp4: ProxyProtocolLimits.inet4BlockLength
        case .tcp6: ProxyProtocolLimits.inet6BlockLength
        }
    }

    /// Bytes of one address in the block.
    var addressLength: Int {
        switch self {
        case .unspecified: 0
        case .tcp4: 4
        case .tcp6: 16
        }
    }
}
