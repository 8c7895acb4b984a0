import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import TunnelPlumbing

/// `bms-sim`: a simulated EMUS G1 Control Unit.
public struct SimulatorCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bms-sim",
        abstract: "A simulated EMUS G1 BMS on a PTY (virtual serial port) or a TCP port.",
        discussion: """
            Answers G1 read requests (CV1, BV1, BV2, BT1-BT4, BC1, ST1, VR1, TD1) with valid CRCs \
            and sends the periodic broadcasts (CV1, BV1, BC1, BT1). Prints the port it serves on \
            standard output, then runs until SIGTERM or SIGINT.
            """)

    @Option(help: "Serve on a new PTY and symlink its path here.")
    var pty: String?

    @Flag(help: "Serve on a new PTY without a symlink (prints the /dev/pts path).")
    var ptyOnly = false

    @Option(help: "Serve on a TCP port (host:port) instead of a PTY.")
    var tcp: String?

    @Option(help: "Seconds between periodic broadcasts; 0 turns them off.")
    var broadcastPeriod: Double = 1

    @Option(help: "Number of cells in series.")
    var cells: Int = 16

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    public init() {}

    public func validate() throws {
        if tcp != nil && (pty != nil || ptyOnly) { throw ValidationError("choose a PTY or --tcp, not both") }
        guard (1...255).contains(cells) else { throw ValidationError("--cells must be 1 to 255, got \(cells)") }
        guard broadcastPeriod >= 0 else { throw ValidationError("--broadcast-period must be 0 or more, got \(broadcastPeriod)") }
    }

    public func run() async throws {
        LogSetup.bootstrap(level: logLevel)
        let endpoint: SimulatorServer.Endpoint
        if let tcp {
            let address = try RelayAddress(parsing: tcp)
            endpoint = .tcp(host: address.host, port: address.port)
        } else {
            endpoint = .pty(link: pty)
        }
        let period: TimeAmount? = broadcastPeriod > 0 ? .milliseconds(Int64(broadcastPeriod * 1000)) : nil
        let logger = Logger(label: "bms-sim")
        let server = SimulatorServer(
            endpoint: endpoint, pack: SimulatedPack(cellCount: cells), broadcastPeriod: period, logger: logger,
            ready: { place in FileHandle.standardOutput.write(Data("bms-sim serving G1 on \(place)\n".utf8)) })
        try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
