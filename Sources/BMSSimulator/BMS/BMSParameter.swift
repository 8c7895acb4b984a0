/// The configuration parameters the simulator serves through CF2 (and CAN 0x19B50400).
///
/// The reference lists no parameter IDs; these are the simulator's own, one per threshold the
/// pack model acts on, so a write changes what the BMS does. Values are integers in the
/// parameter's unit, written as 4 hex digits.
public enum BMSParameter: UInt16, CaseIterable, Sendable {
    case cellCount = 0x0001
    case stringCount = 0x0002
    case capacity = 0x0003
    case underVoltage = 0x0010
    case overVoltage = 0x0011
    case chargedVoltage = 0x0012
    case balancingThreshold = 0x0013
    case preChargeVoltage = 0x0014
    case lowVoltageReduction = 0x0015
    case dischargeOverCurrent = 0x0020
    case chargeOverCurrent = 0x0021
    case highCurrentReduction = 0x0022
    case moduleOverheat = 0x0030
    case highModuleTemperatureReduction = 0x0031
    case cellOverheat = 0x0032
    case highCellTemperatureReduction = 0x0033
    case minimumChargingTemperature = 0x0034

    /// Hex digits of the ID and the value in CF2 sentences.
    static let fieldWidth = 4

    /// What the parameter is, for the help text.
    public var summary: String {
        switch self {
        case .cellCount: "cells in all strings (read-only)"
        case .stringCount: "parallel strings (read-only)"
        case .capacity: "capacity, 0.1 Ah"
        case .underVoltage: "under-voltage protection, 0.01 V per cell"
        case .overVoltage: "over-voltage protection, 0.01 V per cell"
        case .chargedVoltage: "charging end (constant) voltage, 0.01 V per cell"
        case .balancingThreshold: "balancing threshold, 0.01 V per cell"
        case .preChargeVoltage: "pre-charge below, 0.01 V per cell"
        case .lowVoltageReduction: "low-voltage power reduction, 0.01 V per cell"
        case .dischargeOverCurrent: "discharge over-current protection, 0.1 A"
        case .chargeOverCurrent: "charge over-current protection, 0.1 A"
        case .highCurrentReduction: "high-current power reduction, 0.1 A"
        case .moduleOverheat: "cell-module overheat protection, °C + 100"
        case .highModuleTemperatureReduction: "high module temperature power reduction, °C + 100"
        case .cellOverheat: "cell overheat protection, °C + 100"
        case .highCellTemperatureReduction: "high cell temperature power reduction, °C + 100"
        case .minimumChargingTemperature: "pre-heat below, °C + 100"
        }
    }

    /// False for the parameters that describe the hardware.
    public var isWritable: Bool { self != .cellCount && self != .stringCount }

    /// The values a write may set.
    public var range: ClosedRange<Int> {
        switch self {
        case .cellCount, .stringCount, .capacity, .dischargeOverCurrent, .chargeOverCurrent, .highCurrentReduction: 1...0xFFFF
        case .underVoltage, .overVoltage, .chargedVoltage, .balancingThreshold, .preChargeVoltage, .lowVoltageReduction: 200...500
        case .moduleOverheat, .highModuleTemperatureReduction, .cellOverheat, .highCellTemperatureReduction,
            .minimumChargingTemperature:
            0...200
        }
    }

    /// The value in effect in `pack`.
    public func value(in pack: SimulatedPack) -> Int {
        let limits = pack.limits
        switch self {
        case .cellCount: return pack.cellCount
        case .stringCount: return pack.configuration.strings
        case .capacity: return Self.scaled(pack.capacityAh, 10)
        case .underVoltage: return Self.scaled(limits.underVoltage, 100)
        case .overVoltage: return Self.scaled(limits.overVoltage, 100)
        case .chargedVoltage: return Self.scaled(limits.chargedVoltage, 100)
        case .balancingThreshold: return Self.scaled(limits.balancingThreshold, 100)
        case .preChargeVoltage: return Self.scaled(limits.preChargeVoltage, 100)
        case .lowVoltageReduction: return Self.scaled(limits.lowVoltageReduction, 100)
        case .dischargeOverCurrent: return Self.scaled(limits.dischargeOverCurrent, 10)
        case .chargeOverCurrent: return Self.scaled(limits.chargeOverCurrent, 10)
        case .highCurrentReduction: return Self.scaled(limits.highCurrentReduction, 10)
        case .moduleOverheat: return Self.scaled(limits.moduleOverheat, 1) + 100
        case .highModuleTemperatureReduction: return Self.scaled(limits.highModuleTemperatureReduction, 1) + 100
        case .cellOverheat: return Self.scaled(limits.cellOverheat, 1) + 100
        case .highCellTemperatureReduction: return Self.scaled(limits.highCellTemperatureReduction, 1) + 100
        case .minimumChargingTemperature: return Self.scaled(limits.minimumChargingTemperature, 1) + 100
        }
    }

    /// Sets the parameter to `raw` (already checked against `range`).
    func apply(_ raw: Int, to pack: inout SimulatedPack) {
        let volts = Double(raw) / 100
        let amperes = Double(raw) / 10
        let celsius = Double(raw - 100)
        switch self {
        case .cellCount, .stringCount: break
        case .capacity: pack.capacityAh = Double(raw) / 10
        case .underVoltage: pack.limits.underVoltage = volts
        case .overVoltage: pack.limits.overVoltage = volts
        case .chargedVoltage: pack.limits.chargedVoltage = volts
        case .balancingThreshold: pack.limits.balancingThreshold = volts
        case .preChargeVoltage: pack.limits.preChargeVoltage = volts
        case .lowVoltageReduction: pack.limits.lowVoltageReduction = volts
        case .dischargeOverCurrent: pack.limits.dischargeOverCurrent = amperes
        case .chargeOverCurrent: pack.limits.chargeOverCurrent = amperes
        case .highCurrentReduction: pack.limits.highCurrentReduction = amperes
        case .moduleOverheat: pack.limits.moduleOverheat = celsius
        case .highModuleTemperatureReduction: pack.limits.highModuleTemperatureReduction = celsius
        case .cellOverheat: pack.limits.cellOverheat = celsius
        case .highCellTemperatureReduction: pack.limits.highCellTemperatureReduction = celsius
        case .minimumChargingTemperature: pack.limits.minimumChargingTemperature = celsius
        }
    }

    private static func scaled(_ value: Double, _ factor: Double) -> Int { Int((value * factor).rounded()) }
}
