/// Wakes one waiting task: any number of `signal()`s while nobody waits make one wake-up.
final class WakeSignal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func signal() { continuation.yield() }

    /// Returns after the next signal (at once if one came since the last wait).
    /// Only one task may wait at a time.
    func wait() async {
        var iterator = stream.makeAsyncIterator()
        _ = await iterator.next()
    }

    /// Ends every wait for good.
    func finish() { continuation.finish() }
}
