/// Exponential backoff with jitter between reconnection attempts. Pure: the caller supplies
/// the random fraction and does the waiting.
public struct ReconnectBackoff: Sendable {
    /// First delay, seconds.
    public let initial: Double
    /// Longest delay, seconds.
    public let maximum: Double
    private var attempt = 0

    public init(initial: Double = 0.5, maximum: Double = 30) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The next delay: doubling from `initial` up to `maximum`, then scaled by a jitter
    /// fraction in 0.8...1.2 so a fleet does not redial in step after a relay restart.
    public mutating func nextDelay(jitter: Double) -> Double {
        let base = min(maximum, initial * Double(1 << min(attempt, 20)))
        attempt += 1
        return base * (0.8 + 0.4 * min(max(jitter, 0), 1))
    }

    /// Called when a connection succeeded: the next failure starts over from `initial`.
    public mutating func reset() { attempt = 0 }
}
