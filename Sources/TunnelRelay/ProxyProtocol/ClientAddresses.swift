import NIOConcurrencyHelpers
import NIOCore

/// Where each connection really comes from: the address a balancer's PROXY protocol header
/// named, or else the socket's own peer.
///
/// Everything in the relay that asks where a connection comes from (the per-address limits,
/// presence, the audit log, log lines) asks `Channel.clientAddress`, so a listener behind
/// HAProxy counts, records and logs its clients, not the balancer. Entries are keyed by the
/// channel's identity and dropped when it closes, so the book holds at most one address per
/// open connection. It is one book for the process because a channel is: the admin API's
/// request contexts are made by Hummingbird from the channel alone.
final class ClientAddresses: Sendable {
    static let shared = ClientAddresses()

    private let proxied = NIOLockedValueBox<[ObjectIdentifier: SocketAddress]>([:])

    /// Records `address` as where `channel` comes from, until the channel closes.
    func record(_ address: SocketAddress, for channel: any Channel) {
        let key = ObjectIdentifier(channel)
        proxied.withLockedValue { $0[key] = address }
        // The callback holds the channel, so its identity is not reused before the entry goes.
        channel.closeFuture.whenComplete { [self] _ in
            _ = channel
            proxied.withLockedValue { $0[key] = nil }
        }
    }

    /// The address `channel` comes from: the proxied one if a header named it, else the
    /// socket's peer.
    func address(of channel: any Channel) -> SocketAddress? {
        proxied.withLockedValue { $0[ObjectIdentifier(channel)] } ?? channel.remoteAddress
    }

    /// Connections with a proxied address now (for tests).
    var count: Int { proxied.withLockedValue { $0.count } }
}

extension Channel {
    /// Where this connection really comes from (see `ClientAddresses`).
    var clientAddress: SocketAddress? { ClientAddresses.shared.address(of: self) }

    /// The IP address this connection really comes from, as the per-address limits and the
    /// audit log key it; "unknown" when there is none.
    var clientSource: String { clientAddress?.ipAddress ?? "unknown" }
}
