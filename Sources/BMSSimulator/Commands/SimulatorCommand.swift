import ArgumentParser
import Foundation
import Logging
import NIOCore
import ProgramSupport
import ServiceLifecycle
import SharedWire
import TunnelTransport

/// `bms-sim`: a simulated EMUS G1 Control Unit.
public struct SimulatorCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bms-sim",
        abstract: "A simulated EMUS G1 BMS on a PTY (virtual serial port), a TCP port or stdio, with CAN over slcan.",
        discussion: SimulatorCommand.discussion,
        version: ProductVersion.number)

    @Option(help: ArgumentHelp("Serve G1 on a new PTY and symlink its path here.", valueName: "link"))
    var pty: String?

    @Flag(help: "Serve G1 on a new PTY without a symlink (prints the /dev/pts path).")
    var ptyOnly = false

    @Option(help: ArgumentHelp("Serve G1 on a TCP port instead of a PTY; every connection talks to the same BMS.", valueName: "host:port"))
    var tcp: String?

    @Flag(help: "Serve G1 on standard input and output (pipes or a terminal; messages go to standard error); ends when input ends.")
    var stdio = false

    @Option(help: ArgumentHelp("Also play an slcan CAN adapter on a second PTY, symlinked here.", valueName: "link"))
    var canPty: String?

    @Option(help: ArgumentHelp("Seconds between the periodic G1 CAN messages while the slcan channel is open.", valueName: "seconds"))
    var canPeriod: Double = 1

    @Option(help: ArgumentHelp("Base of the G1 CAN IDs, hex (ID = base << 16 | offset).", valueName: "hex"))
    var canBase: String = "19B5"

    @Option(
        help: ArgumentHelp(
            "Seconds between periodic broadcasts of each of CV1 BV1 BC1 BT1 BB1 DT1 OT1 BT3 ST1 (spread over the period); 0 turns them off.",
            valueName: "seconds"))
    var broadcastPeriod: Double = 1

    @Option(
        name: .customLong("broadcast"),
        help: ArgumentHelp(
            "Period of one broadcast sentence, overriding --broadcast-period; 0 turns it off. Repeatable.", valueName: "NAME=seconds"))
    var broadcasts: [String] = []

    @Option(help: ArgumentHelp("Cells in series in each string.", valueName: "n"))
    var cells: Int = 16

    @Option(help: ArgumentHelp("Parallel cell strings (cells × strings at most 255).", valueName: "n"))
    var strings: Int = 1

    @Option(help: ArgumentHelp("Pack capacity, ampere-hours.", valueName: "Ah"))
    var capacity: Double = 100

    @Option(help: ArgumentHelp("State of charge at start, percent.", valueName: "percent"))
    var soc: Double = 80

    @Option(help: ArgumentHelp("Constant current the load (negative) or charger (positive) asks for, amperes.", valueName: "A"))
    var current: Double = -12.5

    @Option(
        help: ArgumentHelp(
            "Current profile instead of --current: steps repeated forever, e.g. 600:-40,300:0,3600:30.", valueName: "s:A,..."))
    var profile: String?

    @Option(help: ArgumentHelp("Ambient temperature, °C.", valueName: "°C"))
    var ambient: Double = 25

    @Option(help: ArgumentHelp("Spread between cells as a fraction (capacity and resistance ±, charge ± half).", valueName: "fraction"))
    var cellSpread: Double = 0.02

    @Option(help: ArgumentHelp("Current-sensor reading at zero current, amperes, until RC1 zeroes it.", valueName: "A"))
    var sensorOffset: Double = 0

    @Option(help: ArgumentHelp("Simulated seconds per real second (the pack and the BMS clock run faster).", valueName: "factor"))
    var timeScale: Double = 1

    @Option(help: ArgumentHelp("Password set at start: writes need a PW1 login first.", valueName: "text"))
    var password: String?

    @Option(help: ArgumentHelp("Serial number VR1 reports.", valueName: "text"))
    var serialNumber: String = "SIM00001"

    @Option(help: ArgumentHelp("Append every received line (G1 and slcan) to this file as JSON lines.", valueName: "file"))
    var journal: String?

    @Option(help: ArgumentHelp("Fault: probability (0-1) of a line of random garbage before each G1 sentence sent.", valueName: "p"))
    var noise: Double = 0

    @Option(help: ArgumentHelp("Fault: probability (0-1) that each G1 byte sent is dropped.", valueName: "p"))
    var dropBytes: Double = 0

    @Option(help: ArgumentHelp("Fault: seconds every G1 answer waits before it goes out.", valueName: "seconds"))
    var answerDelay: Double = 0

    @Option(help: ArgumentHelp("Fault: fall silent for good this many seconds after start.", valueName: "seconds"))
    var silentAfter: Double?

    @Option(help: ArgumentHelp("Fault: stay silent while this file exists.", valueName: "file"))
    var silenceFile: String?

    @Option(help: ArgumentHelp("Seed of the cell spread and the injected faults.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .info

    public init() {}

    public func validate() throws {
        let places = [pty != nil || ptyOnly, tcp != nil, stdio].filter { $0 }.count
        guard places <= 1 else { throw ValidationError("choose one of --pty/--pty-only, --tcp and --stdio") }
        guard (1...255).contains(cells) else { throw ValidationError("--cells must be 1 to 255, got \(cells)") }
        guard (1...16).contains(strings), cells * strings <= 255 else {
            throw ValidationError("--strings must be 1 to 16 with cells × strings at most 255, got \(strings) × \(cells)")
        }
        guard capacity > 0, capacity <= 6553 else {
            throw ValidationError("--capacity must be above 0 and at most 6553 Ah, got \(capacity)")
        }
        guard (0...100).contains(soc) else { throw ValidationError("--soc must be 0 to 100 percent, got \(soc)") }
        for (name, value) in [("--broadcast-period", broadcastPeriod), ("--answer-delay", answerDelay), ("--cell-spread", cellSpread)] {
            guard value >= 0 else { throw ValidationError("\(name) must be 0 or more, got \(value)") }
        }
        guard canPeriod > 0 else { throw ValidationError("--can-period must be more than 0, got \(canPeriod)") }
        guard timeScale > 0 else { throw ValidationError("--time-scale must be more than 0, got \(timeScale)") }
        for (name, value) in [("--noise", noise), ("--drop-bytes", dropBytes)] {
            guard (0...1).contains(value) else { throw ValidationError("\(name) must be a probability 0 to 1, got \(value)") }
        }
        if let profile, CurrentProfile.parse(profile) == nil {
            throw ValidationError("--profile \"\(profile)\" is not SECONDS:AMPERES[,SECONDS:AMPERES...] with positive durations")
        }
        guard let base = UInt16(canBase, radix: 16), base <= G1CANMessageBuilder.maxBase else {
            throw ValidationError("--can-base \"\(canBase)\" must be hex 0 to 1FFF")
        }
        _ = try broadcastPeriods()
    }

    public func run() async throws {
        LogSetup.bootstrap(level: logLevel)
        let logger = Logger(label: "bms-sim")
        let configuration = try simulatorConfiguration()
        let out = stdio ? FileHandle.standardError : FileHandle.standardOutput
        let server = SimulatorServer(configuration: configuration, logger: logger) { listening in
            out.write(Data("bms-sim serving G1 on \(listening.g1)\n".utf8))
            if let can = listening.can { out.write(Data("bms-sim serving slcan CAN on \(can)\n".utf8)) }
        }
        // Standard input ending (--stdio) ends the simulator without an error.
        let service = ServiceGroupConfiguration.ServiceConfiguration(service: server, successTerminationBehavior: .gracefullyShutdownGroup)
        try await ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }

    /// The options as a configuration.
    func simulatorConfiguration() throws -> SimulatorConfiguration {
        let endpoint: SimulatorServer.Endpoint
        if let tcp {
            let address = try RelayAddress(parsing: tcp)
            endpoint = .tcp(host: address.host, port: address.port)
        } else if stdio {
            endpoint = .stdio
        } else {
            endpoint = .pty(link: pty)
        }
        let pack = PackConfiguration(
            cellsPerString: cells, strings: strings, capacityAh: capacity, stateOfCharge: soc / 100,
            profile: profile.flatMap(CurrentProfile.parse) ?? .constant(current), ambientTemperature: ambient,
            cellSpread: cellSpread, currentSensorOffset: sensorOffset, seed: seed)
        return SimulatorConfiguration(
            endpoint: endpoint, pack: SimulatedPack(configuration: pack), identity: BMSIdentity(serialNumber: serialNumber),
            password: password, broadcastPeriods: try broadcastPeriods(),
            can: canPty.map { SimulatorConfiguration.CANPort(link: $0, period: canPeriod, base: UInt16(canBase, radix: 16) ?? 0x19B5) },
            journalPath: journal,
            faults: FaultConfiguration(
                noise: noise, dropBytes: dropBytes, answerDelay: answerDelay, silentAfter: silentAfter, silenceFile: silenceFile,
                seed: seed),
            timeScale: timeScale)
    }

    /// --broadcast-period for all, then each --broadcast NAME=SECONDS.
    private func broadcastPeriods() throws -> [String: Double] {
        var periods = SimulatorConfiguration.broadcastPeriods(every: broadcastPeriod)
        for item in broadcasts {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, SimulatedBMS.broadcastNames.contains(parts[0]), let seconds = Double(parts[1]), seconds >= 0 else {
                throw ValidationError(
                    "--broadcast \"\(item)\" must be NAME=SECONDS with NAME one of \(SimulatedBMS.broadcastNames.joined(separator: " ")) and SECONDS 0 or more"
                )
            }
            periods[parts[0]] = seconds
        }
        return periods
    }
}
