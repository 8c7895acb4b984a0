import XCTest

@testable import BMSSimulator

/// The pack model stepped in time: charge, voltages, temperatures, charging stages and the
/// flags that trip past their limits.
final class SimulatedPackTests: XCTestCase {
    private func pack(
        soc: Double = 0.8, profile: CurrentProfile, capacity: Double = 100, ambient: Double = 25, limits: PackLimits? = nil,
        cells: Int = 16, strings: Int = 1, sensorOffset: Double = 0
    ) -> SimulatedPack {
        SimulatedPack(
            configuration: PackConfiguration(
                cellsPerString: cells, strings: strings, capacityAh: capacity, stateOfCharge: soc, profile: profile,
                ambientTemperature: ambient, currentSensorOffset: sensorOffset, limits: limits))
    }

    func testStateOfChargeFallsUnderLoad() {
        var pack = pack(profile: .constant(-50))
        let startVoltage = pack.totalVoltage
        pack.advance(seconds: 3600)
        XCTAssertEqual(pack.stateOfCharge, 0.30, accuracy: 0.005, "50 A for an hour takes 50 % of 100 Ah")
        XCTAssertEqual(pack.dischargedAh, 50, accuracy: 0.1)
        XCTAssertEqual(pack.current, -50)
        XCTAssertLessThan(pack.totalVoltage, startVoltage - 4, "voltage falls with the charge")
        XCTAssertEqual(pack.uptime, 3600)
    }

    func testCellVoltagesSpreadButStayClose() {
        let pack = pack(profile: .constant(0))
        let spread = pack.cellVoltages.max()! - pack.cellVoltages.min()!
        XCTAssertGreaterThan(spread, 0.001, "cells are not identical")
        XCTAssertLessThan(spread, 0.05)
        XCTAssertEqual(pack.cellVoltages.count, 16)
        XCTAssertEqual(pack.totalVoltage, pack.cellVoltages.reduce(0, +), accuracy: 1e-9)
    }

    func testLoadSagsAndChargeRaisesTheVoltage() {
        let idle = pack(profile: .constant(0)).totalVoltage
        XCTAssertLessThan(pack(profile: .constant(-100)).totalVoltage, idle - 1.4, "100 A × 1 mΩ × 16 cells")
        XCTAssertGreaterThan(pack(profile: .constant(50)).totalVoltage, idle + 0.7)
    }

    func testTemperaturesFollowCurrent() {
        var idle = pack(profile: .constant(0), capacity: 400)
        var loaded = pack(profile: .constant(-100), capacity: 400)
        idle.advance(seconds: 1800)
        loaded.advance(seconds: 1800)
        XCTAssertEqual(idle.cellTemperatures.max()!, 25, accuracy: 1, "no current, ambient")
        XCTAssertGreaterThan(loaded.cellTemperatures.min()!, 40, "100 A through 1 mΩ heats 10 W per cell")
        XCTAssertGreaterThan(loaded.temperatures.min()!, loaded.cellTemperatures.min()!, "the boards run warmer than their cells")
    }

    func testUnderVoltageTripsAfterLowVoltageReductionAndCutsTheLoad() {
        var pack = pack(soc: 0.12, profile: .constant(-50))
        var sawReductionFirst = false
        for _ in 0..<3600 where !pack.protection.contains(.underVoltage) {
            pack.advance(seconds: 1)
            if pack.powerReduction.contains(.lowVoltage), !pack.protection.contains(.underVoltage) {
                sawReductionFirst = true
                XCTAssertEqual(pack.current, -25, "power reduction halves the load")
            }
        }
        XCTAssertTrue(sawReductionFirst)
        XCTAssertTrue(pack.protection.contains(.underVoltage))
        XCTAssertEqual(pack.current, 0, "under-voltage opens the contactor")
        XCTAssertEqual(pack.pins.outputs & 0b0100, 0, "contactor output off")
        pack.advance(seconds: 600)
        XCTAssertTrue(pack.protection.contains(.underVoltage), "stays tripped: the rested voltage is inside the hysteresis")
    }

    func testDischargeOverCurrentHoldsWhileTheLoadAsksTooMuch() {
        var pack = pack(profile: .steps([.init(seconds: 60, amperes: -250), .init(seconds: 60, amperes: -10)]))
        pack.advance(seconds: 30)
        XCTAssertTrue(pack.protection.contains(.dischargeOverCurrent), "250 A is past the 200 A limit (2 C)")
        XCTAssertEqual(pack.current, 0)
        pack.advance(seconds: 60)
        XCTAssertFalse(pack.protection.contains(.dischargeOverCurrent))
        XCTAssertEqual(pack.current, -10)
    }

    func testOverVoltageStopsChargingWithAnError() {
        var limits = PackLimits.defaults(capacityAh: 100)
        limits.chargedVoltage = 4.30  // a misconfigured charger target above the protection limit
        limits.overVoltage = 4.20
        var pack = pack(soc: 0.85, profile: .constant(50), limits: limits)
        XCTAssertEqual(pack.chargingStage, .mainCharging)
        pack.advance(seconds: 3600)
        XCTAssertTrue(pack.protection.contains(.overVoltage))
        XCTAssertEqual(pack.chargingStage, .error)
        XCTAssertEqual(pack.lastChargingError, 2, "protection bit 1 + 1")
        XCTAssertGreaterThan(pack.lastChargingErrorParameter, 0, "names the cell")
        XCTAssertEqual(pack.current, 0)
    }

    func testOverheatTripsAboveTheLimits() {
        var pack = pack(profile: .constant(-20), ambient: 75)
        pack.advance(seconds: 1800)
        XCTAssertTrue(pack.protection.contains(.cellModuleOverheat))
        XCTAssertTrue(pack.protection.contains(.cellOverheat))
        XCTAssertTrue(pack.powerReduction.contains(.highModuleTemperature))
        XCTAssertTrue(pack.powerReduction.contains(.highCellTemperature))
        XCTAssertEqual(pack.current, 0)
    }

    func testChargingRunsThroughBalancingToFinished() {
        var pack = pack(soc: 0.5, profile: .constant(50))
        XCTAssertEqual(pack.chargingStage, .mainCharging)
        var stages: [ChargingStage] = [pack.chargingStage]
        var balanced = false
        for _ in 0..<(5 * 3600) where pack.chargingStage != .finished {
            pack.advance(seconds: 1)
            if stages.last != pack.chargingStage { stages.append(pack.chargingStage) }
            if pack.chargingStage == .balancing, pack.balancingRates.max()! > 0 { balanced = true }
        }
        XCTAssertEqual(stages, [.mainCharging, .balancing, .finished])
        XCTAssertTrue(balanced, "cells are balanced near full")
        XCTAssertEqual(pack.current, 0)
        XCTAssertEqual(pack.stateOfCharge, 1, "a full charge recalibrates the estimate")
        XCTAssertEqual(pack.statusFlags & 0b1000, 0b1000, "charging finished flag")
        XCTAssertLessThanOrEqual(pack.cellVoltages.max()!, 4.151)
    }

    func testColdCellsArePreHeatedBeforeCharging() {
        var pack = pack(soc: 0.5, profile: .constant(20), ambient: -10)
        XCTAssertEqual(pack.chargingStage, .preHeating)
        XCTAssertTrue(pack.heaterOn)
        XCTAssertEqual(pack.current, 0)
        pack.advance(seconds: 1800)
        XCTAssertEqual(pack.chargingStage, .mainCharging, "charging once the cells are warm")
        XCTAssertEqual(pack.current, 20)
    }

    func testDeeplyDischargedCellsArePreCharged() {
        var pack = pack(soc: 0.01, profile: .constant(50))
        XCTAssertEqual(pack.chargingStage, .preCharging)
        XCTAssertEqual(pack.current, 10, "C/10")
        pack.advance(seconds: 3600)
        XCTAssertEqual(pack.chargingStage, .mainCharging)
        XCTAssertEqual(pack.current, 50)
    }

    func testSensorOffsetDriftsTheEstimateUntilZeroed() {
        var pack = pack(soc: 0.5, profile: .constant(0), sensorOffset: 2)
        pack.advance(seconds: 3600)
        XCTAssertEqual(pack.stateOfCharge, 0.52, accuracy: 0.001, "2 A of offset counts 2 Ah an hour")
        pack.zeroCurrentSensor()
        XCTAssertEqual(pack.measuredCurrent, 0, accuracy: 1e-9)
        pack.advance(seconds: 3600)
        XCTAssertEqual(pack.stateOfCharge, 0.52, accuracy: 0.001)
    }

    func testStringsSplitTheCurrent() {
        var pack = pack(soc: 0.5, profile: .constant(-20), cells: 8, strings: 2)
        XCTAssertEqual(pack.cellCount, 16)
        XCTAssertEqual(pack.totalVoltage, 8 * 3.76, accuracy: 0.2, "a string's voltage, not two")
        pack.advance(seconds: 3600)
        XCTAssertEqual(pack.stateOfCharge, 0.3, accuracy: 0.005)
    }

    func testProfileStepsRepeat() {
        let profile = CurrentProfile.parse("10:-5,20:3")
        XCTAssertEqual(profile, .steps([.init(seconds: 10, amperes: -5), .init(seconds: 20, amperes: 3)]))
        XCTAssertEqual(profile?.current(at: 0), -5)
        XCTAssertEqual(profile?.current(at: 15), 3)
        XCTAssertEqual(profile?.current(at: 35), -5)
        XCTAssertNil(CurrentProfile.parse("10:-5,x"))
        XCTAssertNil(CurrentProfile.parse("0:5"))
    }

    func testTheFirstSimulatorsInitialiserStillWorks() {
        var pack = SimulatedPack(cellCount: 12, capacityAh: 50, stateOfCharge: 0.5, current: -10)
        pack.advance(seconds: 360)
        XCTAssertEqual(pack.cellCount, 12)
        XCTAssertEqual(pack.stateOfCharge, 0.48, accuracy: 0.001)
    }
}
