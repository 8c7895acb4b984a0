/// The charging stage the BMS reports in ST1 field 1 and CAN 0x19B50000 D3.
public enum ChargingStage: UInt8, Sendable, CaseIterable {
    /// No charger connected.
    case disconnected = 0
    /// Charger connected, cells too cold: the heater warms them, no current.
    case preHeating = 1
    /// Cells deeply discharged: a small current until they recover.
    case preCharging = 2
    /// Constant-current charging.
    case mainCharging = 3
    /// Constant voltage at the top: the current tapers while balancing evens the cells.
    case balancing = 4
    /// Charged; no current until the charger is disconnected.
    case finished = 5
    /// A protection stopped charging; cleared when the charger is disconnected.
    case error = 6

    /// True while the charger is allowed to push current.
    var charges: Bool { [.preCharging, .mainCharging, .balancing].contains(self) }
}
