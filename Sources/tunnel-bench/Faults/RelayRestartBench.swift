import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
    import TunnelTransport
#endif

/// `tunnel-bench faults restart`: a fleet of in-process agents connected to a real
/// `tunnel-relay serve`; the relay is killed with SIGKILL, stays down a while, and is started
/// again on the same port and data directory. The figure is the time from the relay accepting
/// again until every agent has its control connection back (WELCOME received), with no
/// operator action.
struct RelayRestartBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Time until N agents are back after the relay was killed with SIGKILL and restarted.")

    @OptionGroup var options: FaultOptions

    @Option(help: "Agents (devices registered with the relay; at most 1000 from one source address).")
    var agents = 1_000

    @Option(help: "The agents' backoff cap, seconds (tunnel.reconnect_max).")
    var reconnectMax = 5.0

    @Option(help: "Seconds the relay stays down after SIGKILL.")
    var down = 3.0

    @Option(help: "Event loop threads the fleet shares.")
    var threads = 2

    func run() async throws {
        let folder = try WorkFolder(options, name: "restart")
        defer { folder.cleanUp() }
        let binary = try FaultRelay.locate(options.relayBinary)
        let data = folder.path + "/relay"
        print(
            "Relay restart benchmark: \(agents) in-process agents, reconnect_max \(reconnectMax) s, relay down \(down) s after SIGKILL; load \(MachineFacts.loadAverage())"
        )

        let registerStart = ContinuousClock.now
        try FaultRelay.initialize(binary: binary, dataDirectory: data)
        let ids = (0..<agents).map { String(format: "fleet-%05d", $0) }
        try await FleetRegistration.register(ids, dataDirectory: data)
        print(String(format: "  %d devices registered in %.1f s", agents, (ContinuousClock.now - registerStart).seconds))

        let relay = try FaultRelay(binary: binary, dataDirectory: data, port: LoopbackPort.free(), log: folder.path + "/relay.log")
        try relay.start()
        defer { relay.stop() }
        _ = try await relay.waitAccepting()

        var logger = Logger(label: "bench.faults.agent")
        logger.logLevel = .critical
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let address = RelayAddress(host: "127.0.0.1", port: relay.port)
        let fleet = try ids.map {
            try FleetAgent(
                deviceID: $0, bundle: FleetRegistration.bundle($0, data), relay: address, group: group,
                reconnectMax: reconnectMax, keepalive: .init(), serialDevice: "/dev/null", logger: logger)
        }
        defer { Task { try? await group.shutdownGracefully() } }
        let coldStart = ContinuousClock.now
        guard await faultPoll(timeout: .seconds(120), { fleet.allSatisfy(\.connected) }) else {
            throw FaultBenchFailure("only \(fleet.filter(\.connected).count) of \(agents) agents connected at first; see \(relay.log)")
        }
        print(String(format: "  cold start: all %d agents connected in %.2f s", agents, (ContinuousClock.now - coldStart).seconds))
        let baselineRSS = relay.residentKiB() ?? 0

        // SIGKILL: the kernel closes every socket of the relay; agents see the close and redial.
        relay.kill(SIGKILL)
        let killed = ContinuousClock.now
        guard await faultPoll(timeout: .seconds(30), { !fleet.contains(where: \.connected) }) else {
            throw FaultBenchFailure("\(fleet.filter(\.connected).count) agents still believe they are connected 30 s after SIGKILL")
        }
        let noticed = ContinuousClock.now - killed
        try await Task.sleep(for: .milliseconds(Int(down * 1000)))

        try relay.start()
        let started = ContinuousClock.now
        let accepting = try await relay.waitAccepting()
        var back = [Double?](repeating: nil, count: agents)
        let deadline = accepting + .seconds(max(60, reconnectMax * 4))
        while ContinuousClock.now < deadline {
            let now = ContinuousClock.now
            for (index, agent) in fleet.enumerated() where back[index] == nil && agent.connected {
                back[index] = (now - accepting).seconds
            }
            if !back.contains(where: { $0 == nil }) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let times = back.compactMap { $0 }
        let spread = Spread(times)
        print(String(format: "  every agent noticed the SIGKILL within %.2f s", noticed.seconds))
        print(String(format: "  relay restarted: accepting %.2f s after its process started", (accepting - started).seconds))
        print("  agents back after the relay accepted again: \(times.count) of \(agents); \(spread.summary)")
        print(
            String(
                format:
                    "  all %d back within %.2f s of the relay accepting (target: within 10 s; backoff cap %.1f s × jitter 1.2 = %.1f s)",
                agents, spread.max, reconnectMax, reconnectMax * 1.2))
        for second in [1.0, 2.0, 5.0, 10.0] {
            print(String(format: "    back within %4.1f s: %d", second, times.filter { $0 <= second }.count))
        }
        print(
            String(
                format: "  relay RSS: %.1f MiB with %d agents before the kill, %.1f MiB after they came back",
                Double(baselineRSS) / 1024, agents, Double(relay.residentKiB() ?? 0) / 1024))
        await withTaskGroup(of: Void.self) { tasks in
            for agent in fleet { tasks.addTask { await agent.stop() } }
        }
        if times.count < agents { throw FaultBenchFailure("\(agents - times.count) agents did not come back; see \(relay.log)") }
    }
}
