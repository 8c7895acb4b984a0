import SharedWire
import XCTest

/// Typed G1 readings against values worked out by hand from the reference's scalings.
final class G1ReadingTests: XCTestCase {
    /// Decodes a full line (with its CRC) the way the agent would.
    private func reading(_ line: String) throws -> G1Reading {
        try G1Reading(G1Sentence(line: line))
    }

    private func sentence(_ text: String) -> G1Sentence {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return G1Sentence(name: parts[0], fields: Array(parts.dropFirst()))
    }

    func testCurrentAndVoltage() throws {
        // 0x187B = 6267 → 62.67 V; 0xFF83 = -125 → -12.5 A.
        let cv1 = try G1CurrentAndVoltage(sentence("CV1,0000187B,FF83,,,,,,,,"))
        XCTAssertEqual(cv1.totalVoltage, 62.67, accuracy: 1e-9)
        XCTAssertEqual(cv1.current, -12.5, accuracy: 1e-9)
        XCTAssertEqual(try G1CurrentAndVoltage(sentence("CV1,00001388,0064")).current, 10.0, accuracy: 1e-9)
    }

    func testCellVoltageSummaryAndUnreachableCells() throws {
        // 0xBF = 191 → 3.91 V, 0xC1 = 193 → 3.93 V.
        let bv1 = try G1CellVoltageSummary(sentence("BV1,10,BF,C1,BF,0000187B,"))
        XCTAssertEqual(bv1.cellCount, 16)
        XCTAssertEqual(bv1.minimum!, 3.91, accuracy: 1e-9)
        XCTAssertEqual(bv1.maximum!, 3.93, accuracy: 1e-9)
        XCTAssertEqual(bv1.totalVoltage!, 62.67, accuracy: 1e-9)
        let lost = try G1CellVoltageSummary(sentence("BV1,,,,,,"))
        XCTAssertFalse(lost.cellsReachable)
        XCTAssertNil(lost.minimum)
    }

    func testCellGroups() throws {
        let bv2 = try G1CellGroup(sentence("BV2,00,0009,3,BFC000"))
        XCTAssertEqual(bv2.kind, .cellVoltage)
        XCTAssertEqual(bv2.firstCell, 9)
        XCTAssertEqual(bv2.values.count, 3)
        XCTAssertEqual(bv2.values[0], 3.91, accuracy: 1e-9)
        XCTAssertEqual(bv2.values[2], 2.00, accuracy: 1e-9)
        let bt2 = try G1CellGroup(sentence("BT2,01,0001,2,7C64"))
        XCTAssertEqual(bt2.kind, .moduleTemperature)
        XCTAssertEqual(bt2.string, 1)
        XCTAssertEqual(bt2.values, [24, 0])
        XCTAssertThrowsError(try G1CellGroup(sentence("BV2,00,0001,4,BFC0")), "group size 4 with 2 bytes")
        XCTAssertThrowsError(try G1CellGroup(sentence("BB2,00,0001,1,B")), "odd number of hex digits")
    }

    func testTemperatureBalancingAndCharge() throws {
        let bt3 = try G1TemperatureSummary(sentence("BT3,04,7C,7F,7D,"))
        XCTAssertEqual(bt3.source, .cells)
        XCTAssertEqual([bt3.minimum, bt3.maximum, bt3.average], [24, 27, 25])
        let bb1 = try G1BalancingSummary(sentence("BB1,10,00,FF,80,,BE"))
        XCTAssertEqual(bb1.maximum!, 100, accuracy: 1e-9)
        XCTAssertEqual(bb1.average!, 128 * 100 / 255, accuracy: 1e-9)
        XCTAssertEqual(bb1.threshold!, 3.90, accuracy: 1e-9)
        // 0x464CE = 287 950 C, 0x57E40 = 360 000 C (100 Ah), 0x1F3E = 7998 → 79.98 %.
        let bc1 = try G1ChargeState(sentence("BC1,000464CE,00057E40,1F3E"))
        XCTAssertEqual(bc1.charge, 287_950)
        XCTAssertEqual(bc1.capacity, 360_000)
        XCTAssertEqual(bc1.stateOfCharge, 79.98, accuracy: 1e-9)
    }

    func testStatusFlags() throws {
        let st1 = try G1Status(sentence("ST1,03,00,00,0010,17,0845,02,00"))
        XCTAssertEqual(st1.stage, .mainCharging)
        XCTAssertEqual(st1.stageDuration, 16)
        XCTAssertEqual(st1.status, [.cellVoltagesValid, .balancingRatesValid, .liveCellCountValid, .cellTemperaturesValid])
        XCTAssertEqual(st1.protection, [.underVoltage, .dischargeOverCurrent, .noCellCommunication, .cellOverheat])
        XCTAssertEqual(st1.powerReduction, [.highCurrent])
        XCTAssertNil(try G1Status(sentence("ST1,09,00,00,0000,00,0000,00,00")).stage, "stage 9 is not in the reference")
    }

    func testClockVersionParameterChargerAndCANDevices() throws {
        let td1 = try G1ClockReading(sentence("TD1,2026,11,26,12,00,05,00000E10"))
        XCTAssertEqual([td1.year, td1.month, td1.day, td1.hour, td1.second], [2026, 11, 26, 12, 5])
        XCTAssertEqual(td1.uptime, 3600)
        XCTAssertThrowsError(try G1ClockReading(sentence("TD1,2026,13,26,12,00,05,0")), "month 13")
        let vr1 = try G1Version(sentence("VR1,G1CU,SIM00001,2.4.1"))
        XCTAssertEqual([vr1.hardware, vr1.serialNumber, vr1.firmware], ["G1CU", "SIM00001", "2.4.1"])
        XCTAssertEqual(try G1ConfigurationParameter(sentence("CF2,1A,?")), G1ConfigurationParameter(id: 26, value: nil))
        XCTAssertEqual(try G1ConfigurationParameter(sentence("CF2,1A,250")).value, "250")
        let cs1 = try G1ChargerStatus(sentence("CS1,01,02,0258,0064,0250,0060"))
        XCTAssertEqual(cs1.setVoltage, 60.0, accuracy: 1e-9)
        XCTAssertEqual(cs1.actualCurrent, 9.6, accuracy: 1e-9)
        let cg1 = try G1CANDevices(sentence("CG1,1,08,1,08,3"))
        XCTAssertEqual(cg1.currentSensor, .ok)
        XCTAssertEqual(cg1.cellGroups.map(\.status), [.ok, .noResponse])
        let dt1 = try G1DistanceAndEnergy(sentence("DT1,01F4,2710,0064,96,1F40,1B58,,,,,,"))
        XCTAssertEqual(dt1.speed, 50.0, accuracy: 1e-9)
        XCTAssertEqual(dt1.distanceSinceCharge, 100.0, accuracy: 1e-9)
        XCTAssertEqual(dt1.estimatedDistanceLeft, 150)
    }

    func testReadingDispatchAndFieldErrorsNameTheField() throws {
        guard case .currentAndVoltage = try reading("CV1,0000187B,FF83,,,,,,,,,C4") else { return XCTFail() }
        guard case .request = try reading("BV1,?,4F") else { return XCTFail() }
        guard case .other = try G1Reading(sentence("IN1,01,02,00")) else { return XCTFail() }
        XCTAssertThrowsError(try G1CurrentAndVoltage(sentence("CV1,12G4,0000"))) { error in
            XCTAssertEqual(error as? G1FieldError, G1FieldError(sentence: "CV1", field: 1, found: "12G4", expected: "hexadecimal digits"))
            XCTAssertEqual("\(error)", "CV1 field 1 is \"12G4\", expected hexadecimal digits")
        }
    }

    func testMonitorAllowListFollowsTheReference() {
        let allowed = ["CV1,?", "BV2,?", "SS1,?", "LG1,?", "TD1,?", "CF2,1A,?", "RS2,?"]
        let refused = [
            "CF2,1A,250", "FD1,?", "RS1,?", "SS1,c", "LG1,c", "PW1,1234", "PW2,abcd", "SC1,50",
            "TD1,2026,11,26,12,00,05", "CN2,19B50401,1,0,1,01", "OT1,1", "XYZ,?", "CF2,,?",
        ]
        for text in allowed { XCTAssertTrue(G1Catalogue.isAllowedInMonitorSession(sentence(text)), text) }
        for text in refused { XCTAssertFalse(G1Catalogue.isAllowedInMonitorSession(sentence(text)), text) }
        XCTAssertEqual(G1Catalogue.effect(of: sentence("XYZ,?")), .unknown)
        XCTAssertEqual(G1Catalogue.knownNames.count, 35, "the reference's full list of names")
    }

    func testEverySentenceTypeRoundTripsThroughItsLine() throws {
        let samples = [
            "CV1,0000187B,FF83,,,,,,,,", "BV1,10,BF,C1,BF,0000187B,", "BV2,00,0001,8,BFC0C1C2C3BFC0C1",
            "BT1,10,7C,7F,7D,", "BT2,00,0001,2,7C7D", "BT3,04,7C,7F,7D,", "BT4,00,0001,1,7C", "BB1,10,00,FF,80,,BE",
            "BB2,00,0001,2,0080", "BC1,000464CE,00057E40,1F3E", "ST1,03,00,00,0010,17,0845,02,00",
            "TD1,2026,11,26,12,00,05,00000E10", "VR1,G1CU,SIM00001,2.4.1", "CS1,01,02,0258,0064,0250,0060",
            "CG1,1,08,1", "DT1,01F4,2710,0064,96,1F40,1B58,,,,,,", "CF2,1A,250",
        ]
        for text in samples {
            let original = sentence(text)
            // "\r\n" is one Character in Swift: dropping the last Character drops the line end.
            let decoded = try G1Sentence(line: String(original.line.dropLast()))
            XCTAssertEqual(decoded, original, text)
            if case .other = try G1Reading(decoded) { XCTFail("\(text) has a typed decoder") }
        }
    }
}
