import Foundation

extension SimulatedPack {
    /// Spread (V) between highest and lowest cell below which the pack counts as balanced.
    static let balancedSpread = 0.02
    /// Balancing runs at full rate for a cell this far (V) above the lowest.
    static let fullRateDifference = 0.05
    /// How much warmer (K) a module board runs at full balancing rate.
    static let balancingBoardHeat = 8.0
    /// Where the heater drives the cells' temperature while pre-heating, K above ambient.
    static let heaterRise = 30.0
    /// Seconds for a module board's temperature to follow its cell and resistor.
    static let boardTimeConstant = 60.0

    /// One step of `dt` seconds (0 settles the state without time passing): the BMS's rules
    /// first, on what it measured last, then the physics of the cells.
    mutating func step(_ dt: Double) {
        uptime += dt
        profileTime += dt
        stageDuration += dt
        requestedCurrent = profile.current(at: profileTime)
        updateProtection()
        updatePowerReduction()
        updateChargingStage()
        current = regulatedCurrent()
        flowCharge(dt)
        updateBalancing()
        updateVoltages()
        updateTemperatures(dt)
        trip.record(current: current, voltage: totalVoltage, dt: dt)
    }

    /// Charge moves: each cell by its string's share of the current less what its balancing
    /// resistor takes; the BMS's estimate by what the sensor measured.
    private mutating func flowCharge(_ dt: Double) {
        let hours = dt / 3600
        let stringCurrent = current / Double(configuration.strings)
        let cellCapacity = capacityAh / Double(configuration.strings)
        for index in cells.indices {
            let drain = cells[index].balancingRate * configuration.balancingCurrent
            let change = (stringCurrent - drain) * hours / (cellCapacity * cells[index].capacityFactor)
            cells[index].stateOfCharge = min(1.1, max(-0.05, cells[index].stateOfCharge + change))
        }
        stateOfCharge = min(1, max(0, stateOfCharge + measuredCurrent * hours / capacityAh))
        if current > 0 { chargedAh += current * hours } else { dischargedAh -= current * hours }
    }

    /// While charging, cells above the balancing threshold and above the lowest cell bleed
    /// through their resistors, faster the further they are ahead.
    private mutating func updateBalancing() {
        let lowest = cells.map(\.voltage).min() ?? 0
        let charging = chargingStage == .mainCharging || chargingStage == .balancing
        for index in cells.indices {
            let ahead = cells[index].voltage - lowest
            let balancing = charging && cells[index].voltage > limits.balancingThreshold && ahead > 0.005
            cells[index].balancingRate = balancing ? min(1, ahead / Self.fullRateDifference) : 0
        }
    }

    /// Terminal voltage: open-circuit voltage plus the drop across the internal resistance.
    private mutating func updateVoltages() {
        let stringCurrent = current / Double(configuration.strings)
        for index in cells.indices {
            cells[index].voltage = cells[index].openCircuitVoltage + stringCurrent * cells[index].resistance
        }
    }

    /// Temperatures move towards ambient plus the heat the current makes (I²R), the heater,
    /// and on the boards the balancing resistors, each with its own time constant.
    private mutating func updateTemperatures(_ dt: Double) {
        guard dt > 0 else { return }
        let stringCurrent = current / Double(configuration.strings)
        let cellFollow = 1 - exp(-dt / configuration.thermalTimeConstant)
        let boardFollow = 1 - exp(-dt / Self.boardTimeConstant)
        let heater = heaterOn ? Self.heaterRise : 0
        for index in cells.indices {
            let heat = stringCurrent * stringCurrent * cells[index].resistance
            let cellTarget = configuration.ambientTemperature + heat * configuration.thermalResistance + heater
            cells[index].temperature += (cellTarget - cells[index].temperature) * cellFollow
            let boardTarget = cells[index].temperature + 1 + cells[index].balancingRate * Self.balancingBoardHeat
            cells[index].moduleTemperature += (boardTarget - cells[index].moduleTemperature) * boardFollow
        }
    }
}
