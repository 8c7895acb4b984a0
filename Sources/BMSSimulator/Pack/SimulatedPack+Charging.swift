extension SimulatedPack {
    /// Pre-charging current as a fraction of the capacity (C/10).
    static let preChargeRate = 0.1
    /// Constant-voltage charging ends below this current as a fraction of the capacity (C/50).
    static let cutoffRate = 0.02
    /// Balancing at the top ends after this many seconds even if cells still differ.
    static let maxBalancingSeconds = 7200.0
    /// Pre-heating ends this many K above the minimum charging temperature.
    static let preHeatMargin = 2.0

    /// Moves the charging stage on from what the BMS measures now.
    mutating func updateChargingStage() {
        guard chargerConnected else {
            enter(.disconnected)
            return
        }
        if chargingStage == .disconnected { enter(entryStage()) }
        if chargingStage != .error, chargingStage != .finished, let fault = chargingFault() {
            lastChargingError = fault.code
            lastChargingErrorParameter = fault.cell
            enter(.error)
            return
        }
        switch chargingStage {
        case .preHeating where minimumTemperature >= limits.minimumChargingTemperature + Self.preHeatMargin,
            .preCharging where minimumVoltage >= limits.preChargeVoltage:
            enter(entryStage())
        case .mainCharging where maximumVoltage >= limits.chargedVoltage:
            enter(.balancing)
        case .balancing where chargeComplete:
            enter(.finished)
            stateOfCharge = 1  // a full charge recalibrates the estimate
        default:
            break
        }
        heaterOn = chargingStage == .preHeating
    }

    /// The current the BMS lets flow: nothing against a protection, half under power
    /// reduction, and what the charging stage allows.
    func regulatedCurrent() -> Double {
        let asked = requestedCurrent
        if asked < 0 {
            if !protection.isDisjoint(with: .blockingDischarge) { return 0 }
            return powerReduction.isEmpty ? asked : asked / 2
        }
        guard asked > 0, protection.isDisjoint(with: .blockingCharge) else { return 0 }
        switch chargingStage {
        case .preCharging:
            return min(asked, Self.preChargeRate * capacityAh)
        case .mainCharging:
            return asked
        case .balancing:
            let perString = cells.map { $0.currentLimit(toReach: limits.chargedVoltage) }.min() ?? 0
            return min(asked, perString * Double(configuration.strings))
        case .disconnected, .preHeating, .finished, .error:
            return 0
        }
    }

    /// Where charging starts (or resumes after pre-heating or pre-charging).
    private func entryStage() -> ChargingStage {
        if minimumTemperature < limits.minimumChargingTemperature { return .preHeating }
        if minimumVoltage < limits.preChargeVoltage { return .preCharging }
        if maximumVoltage >= limits.chargedVoltage { return .balancing }
        return .mainCharging
    }

    /// A protection that stops charging: its bit number + 1 and the cell behind it.
    private func chargingFault() -> (code: UInt8, cell: UInt8)? {
        let blocking = protection.intersection(.blockingCharge)
        guard !blocking.isEmpty else { return nil }
        let bit = UInt8(blocking.rawValue.trailingZeroBitCount)
        var cell: Int?
        if blocking.contains(.overVoltage) {
            cell = cells.indices.max { cells[$0].voltage < cells[$1].voltage }
        } else if blocking.contains(.cellModuleOverheat) {
            cell = cells.indices.max { cells[$0].moduleTemperature < cells[$1].moduleTemperature }
        } else if blocking.contains(.cellOverheat) {
            cell = cells.indices.max { cells[$0].temperature < cells[$1].temperature }
        }
        return (bit + 1, UInt8(clamping: cell.map { $0 + 1 } ?? 0))
    }

    /// The charge tapered off and the cells are even, or balancing has run its time.
    private var chargeComplete: Bool {
        let tapered = current <= Self.cutoffRate * capacityAh
        let even = maximumVoltage - minimumVoltage <= Self.balancedSpread
        return (tapered && even) || stageDuration >= Self.maxBalancingSeconds
    }

    private mutating func enter(_ stage: ChargingStage) {
        guard stage != chargingStage else { return }
        chargingStage = stage
        stageDuration = 0
        heaterOn = stage == .preHeating
    }

    var minimumVoltage: Double { cells.map(\.voltage).min() ?? 0 }
    var maximumVoltage: Double { cells.map(\.voltage).max() ?? 0 }
    var minimumTemperature: Double { cells.map(\.temperature).min() ?? 0 }
}
