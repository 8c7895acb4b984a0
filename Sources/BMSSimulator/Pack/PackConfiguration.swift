/// What a simulated pack is made of and how it starts.
public struct PackConfiguration: Sendable {
    /// Cells in series in each string.
    public let cellsPerString: Int
    /// Parallel cell strings; the current splits evenly between them.
    public let strings: Int
    /// Capacity of the whole pack, ampere-hours.
    public let capacityAh: Double
    /// State of charge at start, 0...1.
    public let stateOfCharge: Double
    /// The current the load or charger asks for over time.
    public let profile: CurrentProfile
    /// Temperature around the pack, °C.
    public let ambientTemperature: Double
    /// Spread between cells: capacities and resistances vary by ± this fraction, states of
    /// charge by half of it.
    public let cellSpread: Double
    /// Internal resistance of one cell, ohms.
    public let cellResistance: Double
    /// Kelvin a cell warms per watt it dissipates, once settled.
    public let thermalResistance: Double
    /// Seconds for a cell's temperature to cover 63 % of a change.
    public let thermalTimeConstant: Double
    /// Current through a cell's balancing resistor at 100 % rate, A.
    public let balancingCurrent: Double
    /// What the current sensor reads with no current, A, until RC1 zeroes it.
    public let currentSensorOffset: Double
    /// Seed of the cell spread, so a pack is the same on every run.
    public let seed: UInt64
    /// Thresholds at start; `nil` for `PackLimits.defaults(capacityAh:)`.
    public let limits: PackLimits?

    public init(
        cellsPerString: Int = 16, strings: Int = 1, capacityAh: Double = 100, stateOfCharge: Double = 0.8,
        profile: CurrentProfile = .constant(-12.5), ambientTemperature: Double = 25, cellSpread: Double = 0.02,
        cellResistance: Double = 0.001, thermalResistance: Double = 2, thermalTimeConstant: Double = 600,
        balancingCurrent: Double = 0.5, currentSensorOffset: Double = 0, seed: UInt64 = 1, limits: PackLimits? = nil
    ) {
        self.cellsPerString = cellsPerString
        self.strings = strings
        self.capacityAh = capacityAh
        self.stateOfCharge = stateOfCharge
        self.profile = profile
        self.ambientTemperature = ambientTemperature
        self.cellSpread = cellSpread
        self.cellResistance = cellResistance
        self.thermalResistance = thermalResistance
        self.thermalTimeConstant = thermalTimeConstant
        self.balancingCurrent = balancingCurrent
        self.currentSensorOffset = currentSensorOffset
        self.seed = seed
        self.limits = limits
    }
}
