import Foundation
import SharedWire

/// A battery pack as the simulator shows it through G1 sentences: cells with a little
/// spread, a current that moves the state of charge, temperatures.
///
/// Time is given, never read, so a test can step the pack.
public struct SimulatedPack: Sendable {
    /// Number of cells in series.
    public let cellCount: Int
    /// Capacity in ampere-hours.
    public let capacityAh: Double
    /// State of charge, 0...1.
    public private(set) var stateOfCharge: Double
    /// Pack current in amperes; positive is charging.
    public var current: Double
    /// Cell voltages in volts.
    public private(set) var cellVoltages: [Double]
    /// Cell-module temperatures in °C.
    public private(set) var temperatures: [Double]
    /// Seconds since the simulated BMS started.
    public private(set) var uptime: Double = 0

    public init(cellCount: Int = 16, capacityAh: Double = 100, stateOfCharge: Double = 0.8, current: Double = -12.5) {
        self.cellCount = cellCount
        self.capacityAh = capacityAh
        self.stateOfCharge = stateOfCharge
        self.current = current
        self.cellVoltages = []
        self.temperatures = (0..<cellCount).map { 24 + Double($0 % 4) }
        self.cellVoltages = (0..<cellCount).map { self.openCircuitVoltage + Double($0 % 5) * 0.004 }
    }

    /// Lithium-ion open-circuit voltage for the current state of charge, volts per cell.
    var openCircuitVoltage: Double { 3.0 + 1.15 * stateOfCharge }

    /// Moves the pack forward by `seconds`: charge flows, voltages follow.
    public mutating func advance(seconds: Double) {
        uptime += seconds
        stateOfCharge = min(1, max(0, stateOfCharge + current * seconds / 3600 / capacityAh))
        let sag = current * 0.0008
        cellVoltages = (0..<cellCount).map { openCircuitVoltage + sag + Double($0 % 5) * 0.004 }
    }

    public var totalVoltage: Double { cellVoltages.reduce(0, +) }
}
