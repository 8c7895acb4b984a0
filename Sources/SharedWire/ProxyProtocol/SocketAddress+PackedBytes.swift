import NIOCore

extension SocketAddress {
    /// The address's bytes in network order (4 for IPv4, 16 for IPv6), `nil` for a UNIX
    /// socket: what a PROXY protocol header carries, and what an address range compares.
    public var packedBytes: [UInt8]? {
        switch self {
        case .v4(let address):
            withUnsafeBytes(of: address.address.sin_addr) { Array($0) }
        case .v6(let address):
            withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
        case .unixDomainSocket:
            nil
        }
    }
}
