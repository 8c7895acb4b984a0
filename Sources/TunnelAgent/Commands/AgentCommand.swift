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
        subcommands: [
            Run.self, CheckConfigCommand.self, RegisterCommand.self, FactoryResetCommand.self, DiagnoseCommand.self, StatusCommand.self,
        ])

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

        @OptionGroup var files: AgentFileOptions

        @Option(help: "Log level.")
        var logLevel: Logger.Level = .info

        func run() async throws {
            LogSetup.bootstrap(level: logLevel)
            let runtime = AgentRuntime(
                paths: files.paths, defaults: files.defaults,
                logger: Logger(label: "tunnel-agent"))
            try await runtime.run()
        }
    }
}
