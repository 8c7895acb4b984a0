import ArgumentParser
import Foundation
import Logging
import NIOConcurrencyHelpers
import TunnelRelay

/// `tunnel-bench presence`: what relay nodes' presence costs PostgreSQL. Against a real
/// database (`--database-url`, a throwaway one: the run adds devices and nodes to it), it
/// measures the claims a reconnect storm of `--agents` agents makes (every agent's control
/// connection claims its device once), with `--writers` at a time as a node's store writes
/// run, then the offline writes of the same agents leaving, the heartbeats of `--nodes` nodes,
/// and the lease-aware device list an operator reads. Prints the figures the projection in
/// docs/CLUSTER.md uses.
struct PresenceBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presence", abstract: "Presence writes on a real PostgreSQL: a reconnect storm, heartbeats, lease reads.")

    @Option(help: "PostgreSQL URL of a throwaway database.")
    var databaseURL: String

    @Option(help: "Agents (devices) claimed in the storm.")
    var agents = 10_000

    @Option(help: "Claims in flight at once.")
    var writers = 16

    @Option(help: "Relay nodes heartbeating.")
    var nodes = 3

    func run() async throws {
        var logger = Logger(label: "bench.presence")
        logger.logLevel = .warning
        let store = try await PostgresRelayStore.open(url: databaseURL, logger: logger)
        defer { Task { try? await store.close() } }
        let names = (0..<nodes).map { "bench-node-\($0)" }
        for name in names { try await store.registerNode(try NodeIdentity(name: name, address: "\(name):7444"), instance: name) }
        let devices = (0..<agents).map { String(format: "bench-%06d", $0) }
        try? await store.addCustomer(CustomerRecord(id: "bench", name: "bench", createdAt: Date()), by: "bench")
        let added = try await timed(devices, writers: writers) { device in
            _ = try? await store.registerDevice(
                DeviceRegistration(deviceID: device, customer: "bench", certificateSerial: "01", at: Date(), actor: "bench", source: nil))
        }
        print("Presence on PostgreSQL: \(agents) agents, \(writers) writes in flight, \(nodes) nodes")
        print(
            "  " + "devices registered (set-up)".padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: "%8.1f /s", Double(agents) / added.seconds))

        let epochs = EpochBox()
        let storm = try await timed(devices, writers: writers) { device in
            let node = names[abs(device.hashValue) % names.count]
            let epoch = try await store.markOnline(
                deviceID: device, remoteAddress: "192.0.2.1:40000", agentVersion: "bench", relayNode: node, at: Date())
            if let epoch { epochs.set(device, epoch) }
        }
        report("claims (agents online)", storm)
        let leaving = try await timed(devices, writers: writers) { device in
            guard let epoch = epochs.get(device) else { return }
            _ = try await store.markOffline(deviceID: device, epoch: epoch, at: Date())
        }
        report("offline writes", leaving)

        let beats = 300
        let heartbeats = try await timed(Array(0..<beats), writers: 1) { index in
            let name = names[index % names.count]
            _ = try await store.heartbeatNode(try NodeIdentity(name: name, address: "\(name):7444"), instance: name)
        }
        report("heartbeats (one node at a time)", heartbeats)

        let reads = try await timed(Array(0..<20), writers: 1) { _ in _ = try await store.devices() }
        report("device list with leases (\(agents) devices)", reads)
        print(
            String(
                format: "  steady state: %.2f heartbeat statements/s per node (1 upsert + 1 delete every 3 s); 0 per idle agent", 2.0 / 3.0)
        )
    }

    private func report(_ what: String, _ run: Run) {
        let sorted = run.latencies.sorted()
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))] * 1000 }
        let label = what.padding(toLength: 44, withPad: " ", startingAt: 0)
        print(
            "  \(label)"
                + String(
                    format: "%8.1f /s   p50 %8.2f ms   p99 %8.2f ms", Double(sorted.count) / run.seconds, percentile(0.5), percentile(0.99))
        )
    }

    struct Run {
        var seconds: Double
        var latencies: [Double]
    }

    /// Runs `operation` on every item, `writers` at a time; the wall time and each one's latency.
    private func timed<T: Sendable>(_ items: [T], writers: Int, _ operation: @escaping @Sendable (T) async throws -> Void) async throws
        -> Run
    {
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: Double.self) { group in
            var results: [Double] = []
            var next = 0
            func add() {
                let item = items[next]
                next += 1
                group.addTask {
                    let began = ContinuousClock.now
                    try await operation(item)
                    return (ContinuousClock.now - began).seconds
                }
            }
            while next < min(writers, items.count) { add() }
            while let latency = try await group.next() {
                results.append(latency)
                if next < items.count { add() }
            }
            return results
        }
        return Run(seconds: (ContinuousClock.now - start).seconds, latencies: latencies)
    }
}

/// The epoch each device's claim returned, shared by the concurrent writers.
private final class EpochBox: Sendable {
    private let epochs = NIOLockedValueBox<[String: Int64]>([:])
    func set(_ device: String, _ epoch: Int64) { epochs.withLockedValue { $0[device] = epoch } }
    func get(_ device: String) -> Int64? { epochs.withLockedValue { $0[device] } }
}
