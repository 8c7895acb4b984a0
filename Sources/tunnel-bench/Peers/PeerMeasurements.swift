import Histogram
import NIOCore

/// What the peer benchmark measures on any `PeerPath`.
struct PeerMeasurements: Sendable {
    let settings: BenchSettings

    /// One session, `settings.roundTrips` 16-byte round trips after the warm-up.
    func roundTrips(_ path: any PeerPath) async throws -> LatencySummary {
        let session = try await path.openSession(index: 0)
        do {
            let summary = try await RoundTripBench(settings: settings).measure(on: session.client, phase: "\(path.name) round trips")
            await session.close()
            return summary
        } catch {
            await session.close()
            throw error
        }
    }

    /// `count` sessions opened one after another, each moving `bytesPerSession` in
    /// `direction` at the same time; the rate is all bytes over the first write to the last read.
    func throughput(
        _ path: any PeerPath, sessions count: Int, bytesPerSession: Int, direction: Direction
    ) async throws -> Throughput {
        var sessions: [PeerSession] = []
        defer { for session in sessions { Task { await session.close() } } }
        for index in 0..<count {
            sessions.append(try await path.openSession(index: index))
        }
        let phase = "\(path.name) bulk \(direction.rawValue), \(count) session\(count == 1 ? "" : "s")"
        var finished: [EventLoopFuture<ContinuousClock.Instant>] = []
        var started: [EventLoopFuture<ContinuousClock.Instant>] = []
        for session in sessions {
            let receiver = direction == .toDevice ? session.device : session.client
            let done = receiver.eventLoop.makePromise(of: ContinuousClock.Instant.self)
            let chunkSize = settings.chunkSize
            let timeout = settings.phaseTimeout
            try await receiver.play {
                BulkReceiver(phase: phase, total: bytesPerSession, chunkSize: chunkSize, timeout: timeout, finished: done)
            }
            finished.append(done.futureResult)
        }
        for session in sessions {
            let sender = direction == .toDevice ? session.client : session.device
            let chunkSize = settings.chunkSize
            let promise = sender.eventLoop.makePromise(of: ContinuousClock.Instant.self)
            started.append(promise.futureResult)
            try await sender.play { BulkSender(total: bytesPerSession, chunkSize: chunkSize, started: promise) }
        }
        var end = ContinuousClock.Instant.now - .seconds(3_600)
        for future in finished { end = max(end, try await future.get()) }
        var start = end
        for future in started { start = min(start, try await future.get()) }
        let result = Throughput(bytes: bytesPerSession * count, duration: end - start)
        for session in sessions { await session.close() }
        sessions.removeAll()
        return result
    }

    /// `count` session setups, one after another, each to its first echoed byte.
    func setup(_ path: any PeerPath, count: Int) async throws -> LatencySummary {
        var histogram = RoundTripDriver.emptyHistogram()
        for index in 0..<count {
            let elapsed = try await path.setupToFirstByte(index: 0)
            if index > 0 || count == 1 { _ = histogram.record(UInt64(elapsed.wholeNanoseconds)) }
        }
        return LatencySummary(histogram)
    }

    enum Direction: String, Sendable, CaseIterable {
        case toDevice = "client → device"
        case toClient = "device → client"
    }
}
