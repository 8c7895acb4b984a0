import NIOConcurrencyHelpers

/// Where acquisition leaves records for the queue writer: a buffer any thread appends to,
/// drained in batches so the queue commits many records per statement. Bounded: while the
/// queue cannot keep up (its disk is gone), the oldest buffered records are dropped and counted.
public final class TelemetrySink: Sendable {
    /// Most records buffered in memory before the oldest are dropped.
    public static let maxBuffered = 100_000

    private struct State {
        var records: [TelemetryRecord] = []
        var dropped = 0
    }

    private let state = NIOLockedValueBox(State())
    private let live: LiveTelemetryFeed?
    /// The latest record of each kind, for the local admin page.
    let latest = LiveTelemetryFeed()
    private let wake: AsyncStream<Void>.Continuation
    /// Yields once after records arrived (several arrivals may share one wake-up).
    let arrivals: AsyncStream<Void>

    /// `live` also receives every record, for the relay's live view.
    public init(live: LiveTelemetryFeed? = nil) {
        self.live = live
        (arrivals, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Records dropped because the buffer was full.
    public var dropped: Int { state.withLockedValue { $0.dropped } }

    public func append(_ records: [TelemetryRecord]) {
        guard !records.isEmpty else { return }
        live?.offer(records)
        latest.offer(records)
        state.withLockedValue { state in
            state.records += records
            let excess = state.records.count - Self.maxBuffered
            if excess > 0 {
                state.records.removeFirst(excess)
                state.dropped += excess
            }
        }
        wake.yield()
    }

    /// Everything buffered, oldest first; the buffer is empty afterwards.
    func take() -> [TelemetryRecord] {
        state.withLockedValue { state in
            defer { state.records.removeAll(keepingCapacity: true) }
            return state.records
        }
    }

    /// No more records will come: the writer drains what is left and stops.
    func finish() { wake.finish() }
}
