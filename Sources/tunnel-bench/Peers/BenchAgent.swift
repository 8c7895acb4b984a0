import AgentConfig
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import TunnelAgent
import TunnelTransport

/// A real agent (the `tunnel-agent` library's relay link and sessions, as the program runs
/// them) whose serial device is the slave of a PTY this benchmark serves.
final class BenchAgent: Sendable {
    let deviceID: String
    let device: PTYDevice
    let sessions: AgentSessions
    private let serviceGroup: ServiceGroup
    private let task: Task<Void, any Error>

    private init(deviceID: String, device: PTYDevice, sessions: AgentSessions, serviceGroup: ServiceGroup, task: Task<Void, any Error>) {
        self.deviceID = deviceID
        self.device = device
        self.sessions = sessions
        self.serviceGroup = serviceGroup
        self.task = task
    }

    /// Registers `deviceID` with `relay`, opens its PTY on `deviceGroup`, starts the agent on
    /// `agentGroup` and returns once the relay's store shows it online.
    static func start(
        deviceID: String, relay: RelayProcess, agentGroup: any EventLoopGroup, deviceGroup: any EventLoopGroup
    ) async throws -> BenchAgent {
        let tls = try await relay.register(deviceID: deviceID)
        let device = try await PTYDevice.open(on: deviceGroup)
        try await device.channel.play { EchoHandler() }
        var logger = Logger(label: "bench-agent")
        logger.logLevel = .warning
        let dialer = TunnelDialer(relay: relay.address, tls: tls)
        let line = SerialLine(settings: AgentSettings.Serial(device: device.slavePath), logger: logger)
        let sessions = AgentSessions(line: line, dialer: dialer, software: "tunnel-agent/bench", logger: logger)
        let link = RelayLink(
            dialer: dialer, sessions: sessions, group: agentGroup, software: "tunnel-agent/bench", reconnectMax: 1,
            logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [link], logger: logger))
        let task = Task { try await serviceGroup.run() }
        let agent = BenchAgent(deviceID: deviceID, device: device, sessions: sessions, serviceGroup: serviceGroup, task: task)
        do {
            let store = relay.store
            try await waitUntilTrue("agent \(deviceID) is online at the relay") {
                try await store.device(id: deviceID)?.presence.online == true
            }
        } catch {
            await agent.stop()
            throw error
        }
        return agent
    }

    func stop() async {
        await serviceGroup.triggerGracefulShutdown()
        _ = try? await task.value
        await device.close()
    }
}

/// Polls `condition` every 10 ms until it holds, failing after `timeout` with `what`.
func waitUntilTrue(_ what: String, timeout: Duration = .seconds(20), _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw PeerSetupFailure(what: "timed out waiting until \(what)", detail: "")
}
