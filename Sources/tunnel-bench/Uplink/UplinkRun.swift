import Foundation
import Logging
import ServiceLifecycle
import TunnelAgent

/// One telemetry pipeline in a state folder of its own, talking to the benchmark's broker.
final class UplinkRun: Sendable {
    let pipeline: TelemetryPipeline
    let directory: String
    private let writerGroup: ServiceGroup
    private let writerTask: Task<Void, any Error>
    private let uplinkGroup: ServiceGroup
    private let uplinkTask = UnsafeTaskBox()

    private init(pipeline: TelemetryPipeline, directory: String, logger: Logger) {
        self.pipeline = pipeline
        self.directory = directory
        writerGroup = ServiceGroup(configuration: .init(services: [pipeline.services[0]], logger: logger))
        uplinkGroup = ServiceGroup(configuration: .init(services: [pipeline.services[1]], logger: logger))
        let group = writerGroup
        writerTask = Task { try await group.run() }
    }

    static func start(brokerPort: Int, logger: Logger) async throws -> UplinkRun {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-bench-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let settings = """
            {"serial": {"enabled": false},
             "mqtt": {"uri": "mqtt://127.0.0.1:\(brokerPort)", "publish_rate": 0, "sequence_key": "seq", "attr_send_period": 3600,
                      "client_id": "bench-agent-\(UUID().uuidString.prefix(8))"},
             "tunnel": {"relay": "127.0.0.1:1", "cert": "unused.pem", "key": "unused.pem", "ca": "unused.pem"}}
            """
        try settings.write(toFile: directory + "/settings.json", atomically: true, encoding: .utf8)
        let paths = AgentPaths(settings: directory + "/settings.json", params: directory + "/absent.json", stateDirectory: directory)
        let configuration = try AgentConfiguration.load(paths)
        let pipeline = try await TelemetryPipeline.make(
            configuration: configuration, mqtt: configuration.settings.mqtt!, paths: paths, facts: AgentFacts(),
            params: ActiveParamsConfig(configuration.params), demand: nil, sessions: { 0 }, restart: { _ in }, logger: logger)
        return UplinkRun(pipeline: pipeline, directory: directory, logger: logger)
    }

    func startUplink() async throws {
        let group = uplinkGroup
        uplinkTask.task = Task { try await group.run() }
    }

    func waitUntilQueued(_ total: Int) async throws {
        try await wait("\(total) records queued", timeout: 120) { await self.pipeline.queue.count >= total }
    }

    func waitUntilDelivered(_ total: Int, observer: TelemetryObserver) async throws {
        try await wait("\(total) records acknowledged and seen", timeout: 300) {
            let queued = await self.pipeline.queue.count
            return queued == 0 && observer.count >= total
        }
    }

    private func wait(_ what: String, timeout: Double, _ condition: @Sendable () async -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchFailure("timed out waiting for \(what)")
    }

    func stop() async {
        await uplinkGroup.triggerGracefulShutdown()
        _ = try? await uplinkTask.task?.value
        await writerGroup.triggerGracefulShutdown()
        _ = try? await writerTask.value
        try? await pipeline.queue.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Holds a task started after initialisation.
// Unchecked: `task` is set once, before anything reads it.
final class UnsafeTaskBox: @unchecked Sendable {
    var task: Task<Void, any Error>?
}
