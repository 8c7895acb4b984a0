import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SharedWire
import TunnelPlumbing

/// `tunnel-agent`: the gateway side of the tunnel.
public struct AgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tunnel-agent",
        abstract: "Gateway agent: keeps a TLS tunnel to the relay and hands the BMS serial port to Control Panel sessions.",
        subcommands: [Run.self, CheckConfigCommand.self])

    public init() {}

    /// The version reported to the relay.
    public static let version = "0.1.0"

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the agent until SIGTERM or SIGINT.",
            discussion: """
                The configuration is the EMUS settings.json with a "tunnel" section (relay address, \
                device certificate, key and relay CA) and "serial.device" (the BMS's serial port). \
                See docs/CONFIGURATION.md.
                """)

        @Option(help: "Path of settings.json.")
        var config: String = "/etc/tunnel-agent/settings.json"

        @Option(help: "Log level: trace, debug, info, notice, warning, error.")
        var logLevel: String = "info"

        func run() async throws {
            LogSetup.bootstrap(level: logLevel)
            let settings = try AgentSettings.load(path: config)
            let logger = Logger(label: "tunnel-agent")
            let tls = try NIOSSLContext(configuration: TLSPolicy.client(
                trustedCA: try PEMFiles.certificates(at: settings.tunnel.ca),
                chain: try PEMFiles.certificates(at: settings.tunnel.cert),
                key: try PEMFiles.privateKey(at: settings.tunnel.key)))
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let dialer = TunnelDialer(
                relay: try RelayAddress(parsing: settings.tunnel.relay), tls: tls,
                keepalive: .init(interval: .seconds(settings.tunnel.pingInterval), timeout: .seconds(settings.tunnel.peerTimeout)))
            let software = "tunnel-agent/\(AgentCommand.version)"
            let sessions = AgentSessions(serial: settings.serial, dialer: dialer, software: software, logger: logger)
            let link = RelayLink(
                dialer: dialer, sessions: sessions, group: group, software: software,
                reconnectMax: settings.tunnel.reconnectMax, logger: logger)
            try await ServiceGroup(services: [link], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
            try await group.shutdownGracefully()
        }
    }
}
