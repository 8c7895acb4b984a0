import NIOCore

/// The bulk measurements: `bulkBytes` one way between two byte channels, paced by the
/// sender's writability, timed from the first byte written to the last byte received.
struct ThroughputBench: Sendable {
    let settings: BenchSettings

    /// Moves the transfer from `sender` to `receiver` (both ending in raw bytes).
    func transfer(from sender: any Channel, to receiver: any Channel, phase: String) async throws -> Throughput {
        let total = settings.bulkBytes
        let chunkSize = settings.chunkSize
        let timeout = settings.phaseTimeout
        let finished = receiver.eventLoop.makePromise(of: ContinuousClock.Instant.self)
        let started = sender.eventLoop.makePromise(of: ContinuousClock.Instant.self)
        do {
            try await receiver.play {
                BulkReceiver(phase: phase, total: total, chunkSize: chunkSize, timeout: timeout, finished: finished)
            }
            try await sender.play { BulkSender(total: total, chunkSize: chunkSize, started: started) }
        } catch {
            finished.fail(error)
            started.fail(error)
            throw error
        }
        // The receiver's timer bounds the wait; the sender has started by the time it finished.
        let end = try await finished.futureResult.get()
        let start = try await started.futureResult.get()
        return Throughput(bytes: total, duration: end - start)
    }
}
