import Foundation
import NIOConcurrencyHelpers

/// Whether an on-demand tunnel is wanted now: `tunnel.open` asks for it until a deadline,
/// `tunnel.close` ends it. The relay link waits on it.
public final class TunnelDemand: Sendable {
    /// How long an opened tunnel stays up when `tunnel.open` names no duration.
    public static let defaultDuration: TimeInterval = 3600

    private let state = NIOLockedValueBox<Date?>(nil)
    private let changes = WakeSignal()

    public init() {}

    /// Until when the tunnel is wanted; nil when it is not.
    public var wantedUntil: Date? { state.withLockedValue { $0 } }

    public func open(for duration: TimeInterval, now: Date = Date()) {
        state.withLockedValue { $0 = now.addingTimeInterval(duration) }
        changes.signal()
    }

    public func close() {
        state.withLockedValue { $0 = nil }
        changes.signal()
    }

    /// True while wanted at `now`.
    public func isWanted(now: Date = Date()) -> Bool {
        state.withLockedValue { $0.map { $0 > now } ?? false }
    }

    /// Returns after the next open or close.
    func changed() async { await changes.wait() }
}
