import Foundation

/// A battery pack and the BMS's view of it: cells with a spread of capacity, resistance and
/// charge, a current profile that moves their charge, temperatures that follow the current,
/// balancing, charging stages, protection and power-reduction flags.
///
/// Time is given, never read: `advance(seconds:)` steps the pack, so a test can run hours
/// of battery life in a moment.
public struct SimulatedPack: Sendable {
    /// What the pack is made of.
    public let configuration: PackConfiguration
    /// The thresholds in effect (CF2 parameters).
    public var limits: PackLimits
    /// Capacity the BMS counts with, ampere-hours (a CF2 parameter).
    public var capacityAh: Double { didSet { capacityAh = max(0.1, capacityAh) } }
    /// The current the load or charger asks for over time.
    public var profile: CurrentProfile
    /// The cells, string after string.
    var cells: [SimulatedCell]

    /// Seconds the profile has run (a BMS reset does not restart the world outside).
    public internal(set) var profileTime: Double = 0
    /// Seconds since the BMS started or was last reset.
    public internal(set) var uptime: Double = 0
    /// What the profile asks for now, A.
    public internal(set) var requestedCurrent: Double = 0
    /// What flows, A; positive is charging.
    public internal(set) var current: Double = 0
    /// The BMS's state-of-charge estimate (coulomb counting on the measured current), 0...1.
    public internal(set) var stateOfCharge: Double
    /// The charging stage.
    public internal(set) var chargingStage: ChargingStage = .disconnected
    /// Seconds in the current charging stage.
    public internal(set) var stageDuration: Double = 0
    /// Why charging last stopped with an error: the protection bit number + 1, 0 for none.
    public internal(set) var lastChargingError: UInt8 = 0
    /// The cell (1-based) behind the last charging error, 0 when no single cell.
    public internal(set) var lastChargingErrorParameter: UInt8 = 0
    /// Protections in effect.
    public internal(set) var protection: ProtectionFlags = []
    /// Power reductions in effect.
    public internal(set) var powerReduction: PowerReductionFlags = []
    /// The charger heats the cells (pre-heating).
    public internal(set) var heaterOn = false
    /// Ampere-hours charged since the pack was made.
    public internal(set) var chargedAh: Double = 0
    /// Ampere-hours discharged since the pack was made.
    public internal(set) var dischargedAh: Double = 0
    /// Distance and energy.
    public internal(set) var trip = TripMeter()
    /// The reading RC1 took as zero, A.
    var sensorZero: Double = 0

    /// A pack as `configuration` describes it, settled at time zero.
    public init(configuration: PackConfiguration) {
        self.configuration = configuration
        self.capacityAh = configuration.capacityAh
        self.limits = configuration.limits ?? .defaults(capacityAh: configuration.capacityAh)
        self.profile = configuration.profile
        self.stateOfCharge = min(1, max(0, configuration.stateOfCharge))
        var random = SplitMix64(seed: configuration.seed)
        let spread = configuration.cellSpread
        self.cells = (0..<configuration.cellsPerString * configuration.strings).map { _ in
            let unit = { (random: inout SplitMix64) in Double.random(in: -1...1, using: &random) }
            let stateOfCharge = min(1, max(0, configuration.stateOfCharge + spread / 2 * unit(&random)))
            return SimulatedCell(
                stateOfCharge: stateOfCharge, capacityFactor: 1 + spread * unit(&random),
                resistance: configuration.cellResistance * (1 + spread * 5 * unit(&random)),
                voltage: LithiumIonCurve.voltage(at: stateOfCharge),
                temperature: configuration.ambientTemperature + 0.5 * unit(&random),
                moduleTemperature: configuration.ambientTemperature + 1 + 0.5 * unit(&random))
        }
        step(0)
    }

    /// The pack the first simulator had: `cellCount` cells in one string and a constant current.
    public init(cellCount: Int = 16, capacityAh: Double = 100, stateOfCharge: Double = 0.8, current: Double = -12.5) {
        self.init(
            configuration: PackConfiguration(
                cellsPerString: cellCount, capacityAh: capacityAh, stateOfCharge: stateOfCharge, profile: .constant(current)))
    }

    /// Moves the pack forward by `seconds`, in steps of at most one second.
    public mutating func advance(seconds: Double) {
        var left = max(0, seconds)
        while left > 0 {
            let dt = min(1, left)
            step(dt)
            left -= dt
        }
    }

    /// Number of cells in all strings.
    public var cellCount: Int { cells.count }
    /// Cell voltages, V, string after string.
    public var cellVoltages: [Double] { cells.map(\.voltage) }
    /// Cell-module temperatures, °C.
    public var temperatures: [Double] { cells.map(\.moduleTemperature) }
    /// Cell temperatures (external sensors), °C.
    public var cellTemperatures: [Double] { cells.map(\.temperature) }
    /// Balancing rates, 0...1.
    public var balancingRates: [Double] { cells.map(\.balancingRate) }
    /// The pack voltage: the average of the strings' voltages, V.
    public var totalVoltage: Double {
        let perString = configuration.cellsPerString
        let sums = stride(from: 0, to: cells.count, by: perString).map { first in
            cells[first..<first + perString].reduce(0) { $0 + $1.voltage }
        }
        return sums.reduce(0, +) / Double(max(1, sums.count))
    }
    /// What the current sensor reads, A.
    public var measuredCurrent: Double { current + configuration.currentSensorOffset - sensorZero }
    /// True when a charger asks to charge.
    public var chargerConnected: Bool { requestedCurrent > 0 }

    /// SC1: sets the BMS's estimate; the cells stay as they are.
    public mutating func setStateOfCharge(_ value: Double) { stateOfCharge = min(1, max(0, value)) }

    /// RC1: takes what the sensor reads now as zero.
    public mutating func zeroCurrentSensor() { sensorZero = current + configuration.currentSensorOffset }

    /// RS1: the BMS restarts; uptime, charging stage and flags start over, the cells do not.
    public mutating func restart() {
        uptime = 0
        stageDuration = 0
        chargingStage = .disconnected
        protection = []
        powerReduction = []
        step(0)
    }
}
