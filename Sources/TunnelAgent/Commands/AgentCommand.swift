import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ProgramSupport
import ServiceLifecycle
import SharedWire

/// `tunnel-agent`: the gateway side of the tunnel.
public struct AgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tunnel-agent",
        abstract: "Gateway agent: keeps a TLS tunnel to the relay and hands the BMS serial port to Control Panel sessions.",
        version: ProductVersion.number,
        subcommands: [Run.self, CheckConfigCommand.self, RegisterCommand.self, FactoryResetCommand.self])

    public init() {}

    /// The version reported to the relay and the portal.
    public static let version = ProductVersion.number

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

        @Option(help: "Path of params_config.json (the copy shipped with the agent when the file is absent).")
        var params: String = "/etc/tunnel-agent/params_config.json"

        @Option(help: "Folder for the agent's state: telemetry queue, provisioned credentials, configuration from the portal.")
        var stateDir: String = "/var/lib/tunnel-agent"

        @Option(help: "Log level.")
        var logLevel: Logger.Level = .info

        @Option(help: "Folder of the packaged settings a factory reset puts back (see factory-reset).")
        var defaults: String = FactoryReset.packagedDefaults

        func run() async throws {
            LogSetup.bootstrap(level: logLevel)
            let runtime = AgentRuntime(
                paths: AgentPaths(settings: config, params: params, stateDirectory: stateDir), defaults: defaults,
                logger: Logger(label: "tunnel-agent"))
            try await runtime.run()
        }
    }
}
