import NIOCore
import NIOSSL
import SharedWire
import TunnelTransport

/// Our tunnel: the client dials `tunnel-relay serve` (a separate process) over TLS with a
/// one-time token; the relay pairs it with agent `index`'s data connection (mutual TLS); the
/// agent writes to its serial device, a PTY whose master side this benchmark serves.
struct OurTunnelPath: PeerPath {
    let name = "ours: client → tunnel-relay → agent → PTY (2 TLS legs)"
    let relay: RelayProcess
    let agents: [BenchAgent]
    let clientTLS: NIOSSLContext
    let clientGroup: any EventLoopGroup

    var commands: [String] {
        [
            relay.process.commandLine,
            "# agents: the tunnel-agent library's RelayLink in the benchmark process, one PTY each; "
                + "client: TunnelDialer with a session token from the store",
        ]
    }

    func openSession(index: Int) async throws -> PeerSession {
        let agent = agents[index]
        let token = try await relay.openSession(deviceID: agent.deviceID)
        let client = try await dial(token: token)
        try await agent.device.channel.play { EchoHandler() }
        return PeerSession(client: client, device: agent.device.channel) {
            client.triggerUserOutboundEvent(EndSession(), promise: nil)
            try? await client.closeFuture.get()
            try? await waitUntilTrue("agent \(agent.deviceID) released its serial port") { agent.sessions.count == 0 }
        }
    }

    func setupToFirstByte(index: Int) async throws -> Duration {
        let agent = agents[index]
        try await agent.device.channel.play { EchoHandler() }
        let start = ContinuousClock.now
        let token = try await relay.openSession(deviceID: agent.deviceID)
        let client = try await dial(token: token)
        let arrived = client.eventLoop.makePromise(of: ContinuousClock.Instant.self)
        try await client.play { FirstByteProbe(arrived: arrived) }
        let end = try await arrived.futureResult.get()
        client.triggerUserOutboundEvent(EndSession(), promise: nil)
        try? await client.closeFuture.get()
        try await waitUntilTrue("agent \(agent.deviceID) released its serial port") { agent.sessions.count == 0 }
        return end - start
    }

    /// Dials with `token` and returns once the relay reports the agent connected.
    func dial(token: String) async throws -> any Channel {
        let loop = clientGroup.next()
        let connected = loop.makePromise(of: Void.self)
        let dialer = TunnelDialer(relay: relay.address, tls: clientTLS)
        return try await SessionBytesHandler.dialConnected(connected: connected) { makeHandler in
            try await dialer.dial(
                on: loop, hello: .init(role: .client, software: "tunnel-bench", credential: token), makeHandler: makeHandler
            ).get().0
        }
    }

    func stop() async {
        for agent in agents { await agent.stop() }
    }
}
