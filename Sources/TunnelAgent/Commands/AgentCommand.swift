import ArgumentParser
import Foundation
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
            let logger = Logger(label: "tunnel-agent")
            let runtime = { AgentRuntime(paths: files.paths, defaults: files.defaults, logger: logger) }
            // A child of the launcher runs the agent from its slot and launches nothing.
            if FirmwareLauncher.runningSlot != nil {
                LauncherWatch.start(logger: logger)
                if try await runtime().run() == .updateInstalled { throw ExitCode(FirmwareLauncher.relaunchStatus) }
                return
            }
            let slots = FirmwareSlots(stateDirectory: files.paths.stateDirectory)
            // Nothing installed over the air: no launcher, nothing written before the files are checked.
            guard FileManager.default.fileExists(atPath: slots.root) else {
                guard try await runtime().run() == .updateInstalled else { return }
                throw FirmwareLauncher.startAgain()
            }
            let claim = try AgentLock(path: slots.root + "/launcher.lock")
            let launcher = FirmwareLauncher(slots: slots, arguments: Array(CommandLine.arguments.dropFirst()), logger: logger)
            // After a run of either kind the program starts again from the top (same process),
            // so the next one begins with nothing of the last: threads, signal handling, files.
            switch launcher.next() {
            case .packaged:
                guard try await runtime().run() == .updateInstalled else { return }
            case .slot(let slot, let trial):
                switch await launcher.supervise(slot, trial: trial) {
                case .relaunch: break
                case .exit(0): return
                case .exit(let status): throw ExitCode(status)
                }
            }
            withExtendedLifetime(claim) {}
            throw FirmwareLauncher.startAgain()
        }
    }
}
