/// One cell of the pack and the cell module (board) that measures and balances it.
struct SimulatedCell: Sendable {
    /// The cell's true state of charge; the BMS only estimates the pack's.
    var stateOfCharge: Double
    /// Capacity relative to the nominal cell capacity.
    let capacityFactor: Double
    /// Internal resistance, ohms.
    let resistance: Double
    /// Terminal voltage, V (the open-circuit voltage until current flows).
    var voltage: Double
    /// Cell temperature as its external sensor reads it, °C.
    var temperature: Double
    /// Cell-module (board) temperature, °C.
    var moduleTemperature: Double
    /// Balancing rate, 0...1.
    var balancingRate: Double = 0

    /// Voltage with no current flowing, V.
    var openCircuitVoltage: Double { LithiumIonCurve.voltage(at: stateOfCharge) }

    /// The most charging current (A) before the terminal voltage passes `volts`.
    func currentLimit(toReach volts: Double) -> Double {
        max(0, (volts - openCircuitVoltage) / resistance)
    }
}
