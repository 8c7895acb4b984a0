extension SimulatedPack {
    /// A voltage protection clears this far (V) back inside its limit.
    static let voltageHysteresis = 0.1
    /// A temperature protection or reduction clears this far (K) back inside its limit.
    static let temperatureHysteresis = 5.0

    /// Sets protections whose limit is crossed and clears those well back inside it.
    /// Current protections follow what the load or charger asks for: the BMS cuts the
    /// current, and the flag stays while the demand stays.
    mutating func updateProtection() {
        let asked = requestedCurrent
        let maxModule = cells.map(\.moduleTemperature).max() ?? 0
        let maxCell = cells.map(\.temperature).max() ?? 0
        latch(
            .underVoltage, set: minimumVoltage < limits.underVoltage,
            clear: minimumVoltage > limits.underVoltage + Self.voltageHysteresis)
        latch(
            .overVoltage, set: maximumVoltage > limits.overVoltage,
            clear: maximumVoltage < limits.overVoltage - Self.voltageHysteresis)
        latch(.dischargeOverCurrent, set: -asked > limits.dischargeOverCurrent, clear: -asked <= limits.dischargeOverCurrent)
        latch(.chargeOverCurrent, set: asked > limits.chargeOverCurrent, clear: asked <= limits.chargeOverCurrent)
        latch(
            .cellModuleOverheat, set: maxModule > limits.moduleOverheat,
            clear: maxModule < limits.moduleOverheat - Self.temperatureHysteresis)
        latch(.cellOverheat, set: maxCell > limits.cellOverheat, clear: maxCell < limits.cellOverheat - Self.temperatureHysteresis)
    }

    /// Power reductions: the same idea below the protection limits.
    mutating func updatePowerReduction() {
        let maxModule = cells.map(\.moduleTemperature).max() ?? 0
        let maxCell = cells.map(\.temperature).max() ?? 0
        var flags: PowerReductionFlags = []
        if minimumVoltage < limits.lowVoltageReduction { flags.insert(.lowVoltage) }
        if -requestedCurrent > limits.highCurrentReduction { flags.insert(.highCurrent) }
        if maxModule > limits.highModuleTemperatureReduction { flags.insert(.highModuleTemperature) }
        if maxCell > limits.highCellTemperatureReduction { flags.insert(.highCellTemperature) }
        // Reductions already on stay on until well back inside (no flicker at the threshold).
        if powerReduction.contains(.lowVoltage), minimumVoltage < limits.lowVoltageReduction + Self.voltageHysteresis / 2 {
            flags.insert(.lowVoltage)
        }
        if powerReduction.contains(.highModuleTemperature), maxModule > limits.highModuleTemperatureReduction - Self.temperatureHysteresis {
            flags.insert(.highModuleTemperature)
        }
        if powerReduction.contains(.highCellTemperature), maxCell > limits.highCellTemperatureReduction - Self.temperatureHysteresis {
            flags.insert(.highCellTemperature)
        }
        powerReduction = flags
    }

    private mutating func latch(_ flag: ProtectionFlags, set: Bool, clear: Bool) {
        if set { protection.insert(flag) } else if clear { protection.remove(flag) }
    }

    /// Status flags of ST1 field 5 and CAN 0x19B50007 D3: bit 0 cell voltages valid,
    /// 1 balancing rates valid, 2 live-cell count valid, 3 charging finished, 4 cell
    /// temperatures valid.
    public var statusFlags: UInt8 {
        0b1_0111 | (chargingStage == .finished ? 0b1000 : 0)
    }

    /// Inputs and outputs as the BMS would switch them for this state.
    public var pins: PackPins {
        var inputs: UInt8 = 0
        if requestedCurrent < 0 { inputs |= 1 << 0 }  // ignition: a load is on
        if chargerConnected { inputs |= 1 << 1 }  // charger mains
        let contactorClosed = protection.isDisjoint(with: .blockingDischarge)
        var outputs: UInt8 = 0
        if chargingStage.charges { outputs |= 1 << 0 }
        if heaterOn { outputs |= 1 << 1 }
        if contactorClosed { outputs |= 1 << 2 | 1 << 6 }  // contactor and DC/DC
        if (cells.map(\.moduleTemperature).max() ?? 0) > 40 { outputs |= 1 << 3 }  // fan
        if !powerReduction.isEmpty { outputs |= 1 << 4 }
        if chargerConnected { outputs |= 1 << 5 }  // charging interlock
        if chargingStage == .preCharging { outputs |= 1 << 7 }
        return PackPins(inputs: inputs, outputs: outputs)
    }
}
