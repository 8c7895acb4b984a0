import Foundation
import Logging
import NIOCore
import NIOPosix
import TunnelHarness

/// What the benchmark sets up once and measures in every run: the in-process tunnel (relay
/// with real TLS, an agent whose serial device is a PTY this process serves), a loopback
/// TCP echo server, and a second PTY for the baseline.
final class BenchRunner: Sendable {
    static let deviceID = "bench-pack"

    let settings: BenchSettings
    private let deployment: LocalDeployment
    private let agent: AgentHandle
    /// The device end of the agent's serial port.
    private let tunnelDevice: PTYDevice
    /// The device end of the PTY-only baseline.
    private let baselineDevice: PTYDevice
    private let echoServer: TCPEchoServer
    /// Runs every device end and echo server, apart from the clients.
    private let deviceGroup: MultiThreadedEventLoopGroup
    /// Runs the baseline clients (the tunnel client runs on the deployment's client loop).
    private let clientGroup: MultiThreadedEventLoopGroup

    private init(
        settings: BenchSettings, deployment: LocalDeployment, agent: AgentHandle, tunnelDevice: PTYDevice,
        baselineDevice: PTYDevice, echoServer: TCPEchoServer, deviceGroup: MultiThreadedEventLoopGroup,
        clientGroup: MultiThreadedEventLoopGroup
    ) {
        self.settings = settings
        self.deployment = deployment
        self.agent = agent
        self.tunnelDevice = tunnelDevice
        self.baselineDevice = baselineDevice
        self.echoServer = echoServer
        self.deviceGroup = deviceGroup
        self.clientGroup = clientGroup
    }

    /// Starts the relay (the harness logging at warning), the devices and the agent.
    static func start(settings: BenchSettings) async throws -> BenchRunner {
        let deviceGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let deployment = try await LocalDeployment.start(
            devices: [deviceID], relayThreads: settings.relayThreads, logLevel: .warning)
        do {
            let tunnelDevice = try await PTYDevice.open(on: deviceGroup)
            let baselineDevice = try await PTYDevice.open(on: deviceGroup)
            let echoServer = try await TCPEchoServer.start(on: deviceGroup)
            let agent = try await deployment.startAgent(deviceID: deviceID, serialDevice: tunnelDevice.slavePath)
            return BenchRunner(
                settings: settings, deployment: deployment, agent: agent, tunnelDevice: tunnelDevice,
                baselineDevice: baselineDevice, echoServer: echoServer, deviceGroup: deviceGroup, clientGroup: clientGroup)
        } catch {
            await deployment.stop()
            try? FileManager.default.removeItem(atPath: deployment.directory)
            try? await deviceGroup.shutdownGracefully()
            try? await clientGroup.shutdownGracefully()
            throw error
        }
    }

    /// Measures everything once: baselines first, then one tunnel session.
    func run(index: Int) async throws -> RunResult {
        let roundTrips = RoundTripBench(settings: settings)
        let bulk = ThroughputBench(settings: settings)
        let label = "run \(index)/\(settings.runs)"

        progress("\(label): direct TCP round trips")
        let tcp = try await roundTrips.directTCP(echoServer, from: clientGroup)

        progress("\(label): direct PTY round trips and bulk")
        let (port, slave) = try await baselineDevice.openSlave(on: clientGroup)
        let pty: LatencySummary
        let ptyUp: Throughput
        let ptyDown: Throughput
        do {
            pty = try await roundTrips.directPTY(slave, device: baselineDevice)
            ptyUp = try await bulk.transfer(from: slave, to: baselineDevice.channel, phase: "direct PTY bulk client → device")
            ptyDown = try await bulk.transfer(from: baselineDevice.channel, to: slave, phase: "direct PTY bulk device → client")
        } catch {
            try? await slave.close()
            port.close()
            throw error
        }
        try? await slave.close()
        port.close()

        progress("\(label): tunnel session: round trips, bulk client → device, bulk device → client")
        let session = try await TunnelSession.open(deployment, deviceID: Self.deviceID, timeout: settings.phaseTimeout)
        let tunnel: LatencySummary
        let tunnelUp: Throughput
        let tunnelDown: Throughput
        do {
            tunnel = try await roundTrips.tunnel(session, device: tunnelDevice)
            tunnelUp = try await bulk.transfer(from: session.channel, to: tunnelDevice.channel, phase: "tunnel bulk client → device")
            tunnelDown = try await bulk.transfer(from: tunnelDevice.channel, to: session.channel, phase: "tunnel bulk device → client")
        } catch {
            await session.close()
            throw error
        }
        await session.close()
        let agent = self.agent
        try await waitUntil("the agent ended the session and released the serial port") { agent.sessions.count == 0 }

        return RunResult(
            tcp: tcp, pty: pty, tunnel: tunnel, tunnelUp: tunnelUp, tunnelDown: tunnelDown, ptyUp: ptyUp, ptyDown: ptyDown)
    }

    /// Stops the tunnel and the devices and removes the relay's temporary data directory.
    func stop() async {
        await deployment.stop()
        await tunnelDevice.close()
        await baselineDevice.close()
        await echoServer.stop()
        try? FileManager.default.removeItem(atPath: deployment.directory)
        try? await deviceGroup.shutdownGracefully()
        try? await clientGroup.shutdownGracefully()
    }

    /// Progress goes to standard error, so standard output holds only the report.
    private func progress(_ line: String) {
        FileHandle.standardError.write(Data("tunnel-bench: \(line)\n".utf8))
    }
}
