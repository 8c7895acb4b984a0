/// The thresholds the BMS acts on. They start at `defaults(capacityAh:)` and change through
/// CF2 parameter writes; FD1 puts them back.
public struct PackLimits: Hashable, Sendable {
    /// Under-voltage protection below this cell voltage, V.
    public var underVoltage: Double
    /// Over-voltage protection above this cell voltage, V.
    public var overVoltage: Double
    /// Charging holds cells at this voltage (constant-voltage stage), V.
    public var chargedVoltage: Double
    /// Cells above this voltage are balanced while charging, V (BB1 field 6).
    public var balancingThreshold: Double
    /// Charging starts with a small current while a cell is below this voltage, V.
    public var preChargeVoltage: Double
    /// Low-voltage power reduction below this cell voltage, V.
    public var lowVoltageReduction: Double
    /// Discharge over-current protection above this current, A.
    public var dischargeOverCurrent: Double
    /// Charge over-current protection above this current, A.
    public var chargeOverCurrent: Double
    /// High-current power reduction above this discharge current, A.
    public var highCurrentReduction: Double
    /// Cell-module overheat protection above this temperature, °C.
    public var moduleOverheat: Double
    /// High module temperature power reduction above this temperature, °C.
    public var highModuleTemperatureReduction: Double
    /// Cell overheat protection above this temperature, °C.
    public var cellOverheat: Double
    /// High cell temperature power reduction above this temperature, °C.
    public var highCellTemperatureReduction: Double
    /// Below this cell temperature charging first heats the cells, °C.
    public var minimumChargingTemperature: Double

    /// Factory defaults for a pack of `capacityAh`: currents as multiples of the capacity
    /// (2 C discharge, 1 C charge, 1.5 C power reduction).
    public static func defaults(capacityAh: Double) -> PackLimits {
        PackLimits(
            underVoltage: 3.00, overVoltage: 4.25, chargedVoltage: 4.15, balancingThreshold: 4.05,
            preChargeVoltage: 3.10, lowVoltageReduction: 3.20,
            dischargeOverCurrent: 2 * capacityAh, chargeOverCurrent: capacityAh, highCurrentReduction: 1.5 * capacityAh,
            moduleOverheat: 70, highModuleTemperatureReduction: 60, cellOverheat: 60, highCellTemperatureReduction: 50,
            minimumChargingTemperature: 0)
    }
}
