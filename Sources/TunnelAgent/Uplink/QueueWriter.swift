import Foundation
import Logging
import ServiceLifecycle

/// Moves decoded records from the sink into the durable queue in batches, and tells the
/// uplink that there is something to send; drops records past the age bound once a minute.
/// On shutdown it commits what is still buffered.
public final class QueueWriter: Service, Sendable {
    private let sink: TelemetrySink
    private let queue: TelemetryQueue
    private let committed: WakeSignal
    private let logger: Logger

    init(sink: TelemetrySink, queue: TelemetryQueue, committed: WakeSignal, logger: Logger) {
        self.sink = sink
        self.queue = queue
        self.committed = committed
        self.logger = logger
    }

    /// How often records past the age bound are looked for, milliseconds.
    static let expiryInterval: Int64 = 60_000

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastExpiry: Int64 = 0
            for await _ in self.sink.arrivals {
                await self.commit()
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                if now - lastExpiry >= Self.expiryInterval {
                    lastExpiry = now
                    do { try await self.queue.expire(now: now) } catch {
                        self.logger.error("Old telemetry could not be expired", metadata: ["error": "\(error)"])
                    }
                }
                if Task.isCancelled { break }
            }
        }
        await commit()
    }

    private func commit() async {
        let records = sink.take()
        guard !records.isEmpty else { return }
        do {
            try await queue.append(records)
            committed.signal()
        } catch {
            // The disk is full or gone: these records are lost; say so once per batch.
            logger.error("Telemetry could not be queued", metadata: ["records": "\(records.count)", "error": "\(error)"])
        }
    }
}
