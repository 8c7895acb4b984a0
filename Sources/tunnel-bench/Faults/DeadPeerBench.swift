import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import TunnelHarness
import TunnelTransport

/// `tunnel-bench faults detect`: an agent connected to the relay through a `StallProxy`; the
/// path goes silent (no FIN, no RST) and the figure is how long each side takes to notice:
/// the relay (the agent leaves its directory, `device list` then says offline) and the agent
/// (its control connection closes). Then the path comes back and the agent's own redial
/// (backoff) is timed. The relay runs in this process (the product's `RelayServer`, as
/// `tunnel-relay serve` runs it) so both sides can be watched to the millisecond.
struct DeadPeerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Time for relay and agent to notice a silently dead path at their peer timeouts, and to recover.")

    @OptionGroup var options: FaultOptions

    @Option(help: "Stalls to time.")
    var trials = 5

    @Option(help: "Relay: seconds between pings (serve --ping-interval).")
    var pingInterval = 2

    @Option(help: "Relay: seconds of silence before a peer is dropped (serve --peer-timeout).")
    var peerTimeout = 6

    @Option(help: "Agent: tunnel.ping_interval, seconds.")
    var agentPingInterval = 2

    @Option(help: "Agent: tunnel.peer_timeout, seconds.")
    var agentPeerTimeout = 8

    @Option(help: "Agent: tunnel.reconnect_max, seconds.")
    var reconnectMax = 4.0

    func run() async throws {
        let folder = try WorkFolder(options, name: "detect")
        defer { folder.cleanUp() }
        print("Dead-peer detection benchmark: \(trials) silent stalls of the agent↔relay path; load \(MachineFacts.loadAverage())")
        print(
            "  relay: ping every \(pingInterval) s, peer timeout \(peerTimeout) s; agent: ping every \(agentPingInterval) s, peer timeout \(agentPeerTimeout) s, reconnect_max \(reconnectMax) s"
        )
        let deployment = try await LocalDeployment.start(
            devices: ["stall-1"], pingInterval: .seconds(Int64(pingInterval)), peerTimeout: .seconds(Int64(peerTimeout)),
            directory: folder.path + "/relay")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let proxy = try await StallProxy(group: group, targetPort: deployment.relayAddress.port)
        var logger = Logger(label: "bench.faults.agent")
        logger.logLevel = .critical
        let agent = try FleetAgent(
            deviceID: "stall-1", bundle: deployment.bundle(for: "stall-1"), relay: RelayAddress(host: "127.0.0.1", port: proxy.port),
            group: group, reconnectMax: reconnectMax,
            keepalive: .init(interval: .seconds(Int64(agentPingInterval)), timeout: .seconds(Int64(agentPeerTimeout))),
            serialDevice: "/dev/null", logger: logger)
        let relay = deployment.relay
        func relayHasAgent() -> Bool { relay.agents.entry(deviceID: "stall-1") != nil }

        var relaySide: [Double] = []
        var agentSide: [Double] = []
        var recovery: [Double] = []
        for trial in 1...trials {
            guard await faultPoll(timeout: .seconds(60), { agent.connected && relayHasAgent() }) else {
                throw FaultBenchFailure("the agent did not connect through the proxy (trial \(trial))")
            }
            // Stall at a random point of the ping cycle.
            try await Task.sleep(for: .milliseconds(Int.random(in: 500...(500 + 1000 * pingInterval))))
            proxy.stall()
            let stalled = ContinuousClock.now
            var relayNoticed: Double?
            var agentNoticed: Double?
            let limit = stalled + .seconds(Double(max(peerTimeout, agentPeerTimeout)) * 2 + 20)
            while (relayNoticed == nil || agentNoticed == nil) && ContinuousClock.now < limit {
                let elapsed = (ContinuousClock.now - stalled).seconds
                if relayNoticed == nil && !relayHasAgent() { relayNoticed = elapsed }
                if agentNoticed == nil && !agent.connected { agentNoticed = elapsed }
                try await Task.sleep(for: .milliseconds(5))
            }
            guard let relayNoticed, let agentNoticed else {
                throw FaultBenchFailure(
                    "trial \(trial): after \(Int((ContinuousClock.now - stalled).seconds)) s the relay "
                        + (relayHasAgent() ? "had not noticed" : "noticed") + " and the agent "
                        + (agent.connected ? "had not noticed" : "noticed") + " the dead path")
            }
            proxy.restore()
            let restored = ContinuousClock.now
            guard
                await faultPoll(timeout: .seconds(Double(agentPeerTimeout) + reconnectMax * 2 + 30), { agent.connected && relayHasAgent() })
            else {
                throw FaultBenchFailure("trial \(trial): the agent did not reconnect by itself after the path came back")
            }
            let back = (ContinuousClock.now - restored).seconds
            relaySide.append(relayNoticed)
            agentSide.append(agentNoticed)
            recovery.append(back)
            print(
                String(
                    format: "  stall %d: relay noticed after %.2f s, agent after %.2f s; agent back %.2f s after the path returned",
                    trial, relayNoticed, agentNoticed, back))
        }
        print("  relay (peer timeout \(peerTimeout) s, ping \(pingInterval) s): \(Spread(relaySide).summary)")
        print("  agent (peer timeout \(agentPeerTimeout) s, ping \(agentPingInterval) s): \(Spread(agentSide).summary)")
        print("  reconnection after the path returned: \(Spread(recovery).summary)")
        print("  (the keepalive checks once per ping interval, so detection falls in [timeout, timeout + interval] plus the TLS close)")
        await agent.stop()
        await proxy.close()
        await deployment.stop()
        try? await group.shutdownGracefully()
    }
}
