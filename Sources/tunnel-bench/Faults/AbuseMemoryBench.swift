import ArgumentParser
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import TunnelPKI
import TunnelRelay
import TunnelTransport

/// `tunnel-bench faults abuse`: the resident memory of a real `tunnel-relay serve` process
/// (VmRSS of /proc/<pid>/status) before, during and after a flood of hostile connections:
/// half-open TLS handshakes, slowloris HELLOs, garbage, oversized frames, spread over several
/// 127.0.0.x source addresses (the relay allows 1024 connections per address). One real agent
/// stays connected throughout; the relay must still serve it afterwards.
struct AbuseMemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abuse",
        abstract: "Relay memory before, during and after N hostile connections.")

    @OptionGroup var options: FaultOptions

    @Option(help: "Hostile connections in all.")
    var connections = 10_000

    @Option(help: "Hostile connections open at once, at most.")
    var concurrency = 2_000

    @Option(help: "Source addresses 127.0.0.2, 127.0.0.3, … to spread them over.")
    var sources = 4

    @Option(help: "Floods one after the other (RSS that levels off over rounds is the allocator keeping pages, not a leak).")
    var rounds = 1

    @Option(help: "Seconds to keep sampling after the abuse stopped.")
    var settle = 30

    @Option(help: "Seconds after which a hostile connection the relay still holds is cut by us.")
    var cap = 30

    func run() async throws {
        let folder = try WorkFolder(options, name: "abuse")
        defer { folder.cleanUp() }
        let binary = try FaultRelay.locate(options.relayBinary)
        let data = folder.path + "/relay"
        try FaultRelay.initialize(binary: binary, dataDirectory: data)
        try await FleetRegistration.register(["abuse-witness"], dataDirectory: data)
        let relay = try FaultRelay(binary: binary, dataDirectory: data, port: LoopbackPort.free(), log: folder.path + "/relay.log")
        try relay.start()
        defer { relay.stop() }
        _ = try await relay.waitAccepting()
        print(
            "Relay memory under abuse: \(rounds) × \(connections) hostile connections, at most \(concurrency) at once, from \(sources) source addresses; relay pid \(relay.pid ?? 0); load \(MachineFacts.loadAverage())"
        )

        var logger = Logger(label: "bench.faults.agent")
        logger.logLevel = .critical
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { Task { try? await group.shutdownGracefully() } }
        let witness = try FleetAgent(
            deviceID: "abuse-witness", bundle: FleetRegistration.bundle("abuse-witness", data),
            relay: RelayAddress(host: "127.0.0.1", port: relay.port), group: group, reconnectMax: 2,
            keepalive: .init(interval: .seconds(2), timeout: .seconds(6)), serialDevice: "/dev/null", logger: logger)
        guard await faultPoll(timeout: .seconds(30), { witness.connected }) else {
            throw FaultBenchFailure("the witness agent did not connect")
        }
        try await Task.sleep(for: .seconds(2))
        let baseline = try await steadyRSS(relay)
        let baselineFDs = relay.openDescriptors() ?? 0
        print(String(format: "  baseline: %.1f MiB RSS, %d descriptors (one agent connected)", Double(baseline) / 1024, baselineFDs))

        let ca = try PEMFiles.certificates(at: RelayCredentials(dataDirectory: data).serverCAPath)
        let tls = try NIOSSLContext(configuration: TLSPolicy.client(trustedCA: ca))
        let kinds = AbuseKind.allCases
        for round in 1...rounds {
            let peak = NIOLockedValueBox((rss: 0, fds: 0))
            let sampling = Task {
                while !Task.isCancelled {
                    let rss = relay.residentKiB() ?? 0
                    let fds = relay.openDescriptors() ?? 0
                    peak.withLockedValue { $0 = (max($0.rss, rss), max($0.fds, fds)) }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            let start = ContinuousClock.now
            var outcomes: [AbuseOutcome] = []
            let total = connections
            let concurrency = self.concurrency
            let sources = self.sources
            let port = relay.port
            let cap = TimeAmount.seconds(Int64(self.cap))
            await withTaskGroup(of: AbuseOutcome.self) { tasks in
                for index in 0..<total {
                    if index >= concurrency, let done = await tasks.next() { outcomes.append(done) }
                    let kind = kinds[index % kinds.count]
                    let source = "127.0.0.\(2 + (index / kinds.count) % sources)"  // every kind from every source
                    tasks.addTask { await abusiveConnection(kind, source: source, relayPort: port, tls: tls, group: group, cap: cap) }
                }
                for await done in tasks { outcomes.append(done) }
            }
            let abuseTime = (ContinuousClock.now - start).seconds
            sampling.cancel()
            let during = peak.withLockedValue { $0 }
            print(
                String(
                    format: "  flood %d: peak %.1f MiB RSS (%+.0f %%), peak %d descriptors; it took %.1f s",
                    round, Double(during.rss) / 1024, percent(during.rss, baseline), during.fds, abuseTime))
            for kind in kinds {
                let mine = outcomes.filter { $0.kind == kind }
                let byRelay = mine.filter(\.closedByRelay)
                print(
                    String(
                        format: "    %-24@ %5d: closed by the relay %5d (held %@), still open at our %d s cap %d, could not connect %d",
                        kind.rawValue as NSString, mine.count, byRelay.count,
                        Spread(byRelay.map(\.heldSeconds)).short as NSString, self.cap,
                        mine.filter { !$0.closedByRelay && !$0.connectFailed }.count, mine.filter(\.connectFailed).count))
            }
            if round < rounds {
                try await Task.sleep(for: .seconds(5))
                print(
                    String(
                        format: "  5 s after flood %d: %.1f MiB RSS (%+.1f %% of baseline), %d descriptors", round,
                        Double(relay.residentKiB() ?? 0) / 1024, percent(relay.residentKiB() ?? 0, baseline),
                        relay.openDescriptors() ?? 0))
            }
        }
        let witnessSurvived = witness.connected
        var last = 0
        let settleStart = ContinuousClock.now
        for mark in [1, 5, 10, 20, 30, 60, 120].filter({ $0 <= settle }) {
            let wait = Duration.seconds(mark) - (ContinuousClock.now - settleStart)
            if wait > .zero { try await Task.sleep(for: wait) }
            last = relay.residentKiB() ?? 0
            print(
                String(
                    format: "  after +%3d s: %.1f MiB RSS (%+.1f %% of baseline), %d descriptors",
                    mark, Double(last) / 1024, percent(last, baseline), relay.openDescriptors() ?? 0))
        }
        print(
            String(
                format: "  back to baseline within 10 %%: %@ (%.1f MiB vs %.1f MiB)",
                (abs(percent(last, baseline)) <= 10 ? "yes" : "NO") as NSString, Double(last) / 1024, Double(baseline) / 1024))
        print("  the witness agent stayed connected through the flood: \(witnessSurvived ? "yes" : "NO")")
        await witness.stop()
        if !witnessSurvived { throw FaultBenchFailure("the relay dropped a legitimate agent during the abuse; see \(relay.log)") }
    }

    /// The median of five samples a second apart, KiB.
    private func steadyRSS(_ relay: FaultRelay) async throws -> Int {
        var samples: [Int] = []
        for _ in 0..<5 {
            samples.append(relay.residentKiB() ?? 0)
            try await Task.sleep(for: .milliseconds(250))
        }
        return samples.sorted()[2]
    }

    private func percent(_ value: Int, _ baseline: Int) -> Double {
        baseline == 0 ? .nan : (Double(value) - Double(baseline)) / Double(baseline) * 100
    }
}

extension Spread {
    var short: String {
        values.isEmpty ? "-" : String(format: "median %.1f s, max %.1f s", percentile(50), max)
    }
}
