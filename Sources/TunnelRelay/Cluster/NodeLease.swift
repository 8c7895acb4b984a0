import Foundation

/// How long a relay node's word holds. A node writes a heartbeat into the store every
/// `heartbeatInterval`; while its newest heartbeat is at most `duration` old (by the store's
/// clock) the agents it holds count as online, and after that as offline, whatever their rows
/// say, until they reconnect (to it or to another node). A node not heard from for
/// `forgottenAfter` is removed from the `nodes` table, which keeps the table bounded.
///
/// The numbers, one place: heartbeat every 3 s, lease 15 s (five heartbeats may be lost or late
/// before a live node's agents look offline), forgotten after an hour.
public struct NodeLease: Sendable, Equatable {
    public let heartbeatInterval: Duration
    public let duration: Duration
    public let forgottenAfter: Duration

    /// What `tunnel-relay serve` uses: 3 s, 15 s, 1 h.
    public static let standard = NodeLease(heartbeatInterval: .seconds(3), duration: .seconds(15), forgottenAfter: .seconds(3600))

    public init(heartbeatInterval: Duration, duration: Duration, forgottenAfter: Duration) {
        self.heartbeatInterval = heartbeatInterval
        self.duration = duration
        self.forgottenAfter = forgottenAfter
    }

    /// Whether a node whose newest heartbeat is `heartbeatAt` (nil: no row) still holds its
    /// agents at `now`; both times from the store's clock. A heartbeat after `now` (a read
    /// that began before the heartbeat was written) is live.
    public func isLive(heartbeatAt: Date?, now: Date) -> Bool {
        guard let heartbeatAt else { return false }
        return now.timeIntervalSince(heartbeatAt) <= duration.inSeconds
    }

    /// The oldest heartbeat a node may have and still be kept in the table at `now`.
    func forgetBefore(now: Date) -> Date {
        now.addingTimeInterval(-forgottenAfter.inSeconds)
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
