import Foundation

/// Failed console sign-ins, counted per client address and per user name: after
/// `maxFailures` within `window` the key is refused until the oldest failure leaves the window.
/// A plain value with the time passed in; each relay node keeps its own.
public struct SignInLimiter: Sendable {
    /// Failures allowed per key within the window.
    public static let maxFailures = 5
    /// The window, in seconds.
    public static let window: TimeInterval = 60
    /// Keys remembered at most; past it the keys with the oldest newest failure go first, so
    /// a flood of names cannot grow the table without bound.
    public static let maxKeys = 10_000

    private var failures: [String: [Date]] = [:]

    public init() {}

    /// The key of a client address.
    public static func addressKey(_ address: String) -> String { "address:\(address)" }
    /// The key of a user name (as typed).
    public static func userKey(_ user: String) -> String { "user:\(user.lowercased())" }

    /// Seconds to wait before `keys` may try again; `nil` when none of them is locked out.
    public func wait(for keys: [String], now: Date) -> TimeInterval? {
        let waits = keys.compactMap { key -> TimeInterval? in
            let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < Self.window }
            guard recent.count >= Self.maxFailures, let oldest = recent.first else { return nil }
            return Self.window - now.timeIntervalSince(oldest)
        }
        return waits.max()
    }

    /// Counts a failed attempt against each of `keys`.
    public mutating func failed(_ keys: [String], now: Date) {
        for key in keys {
            var recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < Self.window }
            recent.append(now)
            failures[key] = Array(recent.suffix(Self.maxFailures))
        }
        if failures.count > Self.maxKeys { prune(now: now) }
    }

    /// Forgets what has left the window, then the stalest keys beyond `maxKeys`.
    private mutating func prune(now: Date) {
        failures = failures.filter { _, dates in dates.contains { now.timeIntervalSince($0) < Self.window } }
        guard failures.count > Self.maxKeys else { return }
        let stalest = failures.sorted { ($0.value.last ?? .distantPast) < ($1.value.last ?? .distantPast) }
        for (key, _) in stalest.prefix(failures.count - Self.maxKeys) { failures[key] = nil }
    }
}
