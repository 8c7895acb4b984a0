import Foundation

/// A relay node as the store knows it: who, where, since when, and how long ago it was last
/// heard from, by the store's clock.
public struct NodeRecord: Sendable, Equatable {
    /// `--node-name`.
    public var name: String
    /// `--node-address`: where the other nodes reach it.
    public var address: String
    /// When it registered (started), by the store's clock.
    public var startedAt: Date
    /// Its newest heartbeat, by the store's clock.
    public var heartbeatAt: Date
    /// Seconds from its newest heartbeat to the store's clock when it was read.
    public var heartbeatAge: Double
    /// Whether its lease holds: its agents count as online.
    public var isLive: Bool
    /// Agents whose control connection it holds, as their rows say (0 when not live).
    public var agents: Int

    public init(
        name: String, address: String, startedAt: Date, heartbeatAt: Date, heartbeatAge: Double, isLive: Bool, agents: Int
    ) {
        self.name = name
        self.address = address
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.heartbeatAge = heartbeatAge
        self.isLive = isLive
        self.agents = agents
    }
}
