import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// What every connection of one running simulator shares: the BMS behind a lock, the
/// simulated clock, the faults, the journal.
final class SimulatorContext: Sendable {
    let bms: NIOLockedValueBox<SimulatedBMS>
    let configuration: SimulatorConfiguration
    let journal: SimulatorJournal?
    let logger: Logger
    private let startDate: Date
    private let startUptime: NIODeadline

    init(configuration: SimulatorConfiguration, journal: SimulatorJournal?, logger: Logger) {
        let now = Date()
        self.startDate = now
        self.startUptime = .now()
        self.configuration = configuration
        self.journal = journal
        self.logger = logger
        self.bms = NIOLockedValueBox(
            SimulatedBMS(
                pack: configuration.pack, identity: configuration.identity, password: configuration.password, now: now))
    }

    /// Real seconds since the simulator started.
    var elapsed: Double { Double((NIODeadline.now() - startUptime).nanoseconds) / 1e9 }

    /// The simulated time: the start plus the real time since, sped up by the time scale.
    var now: Date { startDate.addingTimeInterval(elapsed * configuration.timeScale) }

    /// True while the BMS is silent (see `FaultConfiguration.isSilent`).
    var isSilent: Bool {
        let faults = configuration.faults
        let fileExists = faults.silenceFile.map { FileManager.default.fileExists(atPath: $0) } ?? false
        return faults.isSilent(elapsed: elapsed, silenceFileExists: fileExists)
    }

    /// Moves the pack on to now.
    func tick() {
        let now = self.now
        bms.withLockedValue { $0.advance(to: now) }
    }
}
