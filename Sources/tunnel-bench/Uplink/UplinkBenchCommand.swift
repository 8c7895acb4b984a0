import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SharedWire
import TunnelAgent
import TunnelHarness

/// `tunnel-bench uplink`: records per second from decoded sentence to the broker's PUBACK
/// (sink → durable queue → MQTT → a real mosquitto on loopback), and how fast a backlog left
/// by an outage flushes. Every record is counted by sequence number at a second client.
struct UplinkBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uplink",
        abstract: "Telemetry uplink throughput and backlog flush through a real mosquitto broker.")

    @Option(help: "Records in the sustained run.")
    var records = 100_000

    @Option(help: "Records queued during the simulated outage.")
    var backlog = 100_000

    func run() async throws {
        var logger = Logger(label: "bench.uplink")
        logger.logLevel = .warning
        let broker = try await MosquittoBroker.start()
        defer { Task { await broker.stop() } }
        let records = try UplinkWorkload.decodedRecords()
        print("Uplink benchmark: mosquitto \(broker.port) on loopback, \(records.count) distinct decoded records cycled, publish_rate off")

        // 1. Sustained: records offered as fast as the queue takes them, the uplink connected throughout.
        let sustained = try await UplinkRun.start(brokerPort: broker.port, logger: logger)
        let observer = try await TelemetryObserver(port: broker.port)
        let start = ContinuousClock.now
        try await sustained.startUplink()
        for chunk in stride(from: 0, to: self.records, by: 500) {
            sustained.pipeline.sink.append(UplinkWorkload.batch(records, from: chunk, count: min(500, self.records - chunk)))
            await Task.yield()
        }
        try await sustained.waitUntilDelivered(self.records, observer: observer)
        let sustainedTime = ContinuousClock.now - start
        let sustainedOK = observer.sawAll(self.records)
        observer.stop()
        await sustained.stop()
        print(
            String(
                format: "  decoded → PUBACK: %d records in %.2f s = %.0f records/s (target 10,000); every record delivered: %@",
                self.records, sustainedTime.seconds, Double(self.records) / sustainedTime.seconds, sustainedOK ? "yes" : "NO"))

        // 2. Backlog: the queue fills while the uplink is away, then the uplink connects.
        let outage = try await UplinkRun.start(brokerPort: broker.port, logger: logger)
        for chunk in stride(from: 0, to: backlog, by: 1000) {
            outage.pipeline.sink.append(UplinkWorkload.batch(records, from: chunk, count: min(1000, backlog - chunk)))
        }
        try await outage.waitUntilQueued(backlog)
        let backlogObserver = try await TelemetryObserver(port: broker.port)
        let flushStart = ContinuousClock.now
        try await outage.startUplink()
        try await outage.waitUntilDelivered(backlog, observer: backlogObserver)
        let flushTime = ContinuousClock.now - flushStart
        let backlogOK = backlogObserver.sawAll(backlog)
        backlogObserver.stop()
        await outage.stop()
        print(
            String(
                format: "  backlog of %d flushed in %.2f s = %.0f records/s (target under 30 s); none lost: %@",
                backlog, flushTime.seconds, Double(backlog) / flushTime.seconds, backlogOK ? "yes" : "NO"))
        if !sustainedOK || !backlogOK { throw ExitCode.failure }
    }
}
