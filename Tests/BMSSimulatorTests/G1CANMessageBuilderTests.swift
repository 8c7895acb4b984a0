import SharedWire
import XCTest

/// The G1 CAN frames against bytes worked out by hand from the reference's CAN table.
final class G1CANMessageBuilderTests: XCTestCase {
    private let builder = try! G1CANMessageBuilder()

    func testOverallParameters() {
        // Inputs ignition + charger mains, outputs charger enable + contactor + DC/DC, 272 live
        // cells (0x0110: MSB in D2, LSB in D7), stage 3, 0x1234 s in it, last error 7.
        let frame = builder.overallParameters(
            inputs: 0x03, outputs: 0x45, liveCells: 0x0110, chargingStage: 3, stageDuration: 0x1234, lastChargingError: 7)
        XCTAssertEqual(frame.id, 0x19B5_0000)
        XCTAssertTrue(frame.isExtended)
        XCTAssertEqual(frame.data, [0x03, 0x45, 0x01, 0x03, 0x12, 0x34, 0x07, 0x10])
    }

    func testBatteryVoltageUsesTheOddTotalVoltageByteOrder() {
        // 3.90 V min (b = 190 = 0xBE), 4.02 max (0xCA), 3.96 average (0xC4); total 0x01020304 × 0.01 V:
        // D3 = bits 8–15 (0x03), D4 = bits 0–7 (0x04), D5 = bits 24–31 (0x01), D6 = bits 16–23 (0x02).
        let frame = builder.batteryVoltage(minCell: 0xBE, maxCell: 0xCA, averageCell: 0xC4, totalVoltage: 0x0102_0304)
        XCTAssertEqual(frame.id, 0x19B5_0001)
        XCTAssertEqual(frame.data, [0xBE, 0xCA, 0xC4, 0x03, 0x04, 0x01, 0x02])
        // A 16-cell pack at 63.52 V: 6352 = 0x000018D0.
        XCTAssertEqual(
            builder.batteryVoltage(minCell: 0, maxCell: 0, averageCell: 0, totalVoltage: 6352).data.suffix(4), [0x18, 0xD0, 0x00, 0x00])
    }

    func testSummaryFrames() {
        XCTAssertEqual(
            builder.moduleTemperature(min: 0x7D, max: 0x82, average: 0x7F),
            try CANFrame(id: 0x19B5_0002, extended: true, data: [0x7D, 0x82, 0x7F]))
        XCTAssertEqual(
            builder.balancingRate(min: 0, max: 0xFF, average: 0x40), try CANFrame(id: 0x19B5_0003, extended: true, data: [0, 0xFF, 0x40]))
        XCTAssertEqual(
            builder.cellTemperature(min: 0x64, max: 0x96, average: 0x70),
            try CANFrame(id: 0x19B5_0008, extended: true, data: [0x64, 0x96, 0x70]))
    }

    func testDiagnosticCodesSplitTheProtectionFlags() {
        // Under-voltage (bit 0), discharge over-current (bit 2) and cell overheat (bit 11) = 0x0805.
        let frame = builder.diagnosticCodes(protectionFlags: 0x0805, powerReductionFlags: 0x21, batteryStatusFlags: 0x17)
        XCTAssertEqual(frame.id, 0x19B5_0007)
        XCTAssertEqual(frame.data, [0x05, 0x21, 0x08, 0x17])
    }

    func testStateOfChargeAndEnergyAreBigEndian() {
        // −12.5 A = −125 = 0xFF83; 80.0 Ah = 800 = 0x0320; 80 %; 100 %.
        let soc = builder.stateOfCharge(current: -125, estimatedCharge: 800, stateOfCharge: 80, stateOfHealth: 100)
        XCTAssertEqual(soc.id, 0x19B5_0500)
        XCTAssertEqual(soc.data, [0xFF, 0x83, 0x03, 0x20, 0x00, 0x00, 0x50, 0x64])
        let energy = builder.energy(consumption: 0x0102, energyLeft: 0x0304, distanceLeft: 0x0506, distanceTravelled: 0x0708)
        XCTAssertEqual(energy.id, 0x19B5_0600)
        XCTAssertEqual(energy.data, [1, 2, 3, 4, 5, 6, 7, 8])
    }

    func testCellGroupsCarryEightCellsEach() {
        let bytes = (0..<20).map { UInt8($0) }
        let frames = builder.cellGroups(.voltages, bytes: bytes)
        XCTAssertEqual(frames.map(\.id), [0x19B5_0100, 0x19B5_0101, 0x19B5_0102])
        XCTAssertEqual(frames.map(\.data), [Array(0..<8), Array(8..<16), Array(16..<20)])
        XCTAssertEqual(builder.cellGroups(.moduleTemperatures, bytes: bytes)[1].id, 0x19B5_0201)
        XCTAssertEqual(builder.cellGroups(.balancingRates, bytes: bytes)[2].id, 0x19B5_0302)
        XCTAssertEqual(builder.cellGroups(.cellTemperatures, bytes: bytes)[0].id, 0x19B5_0800)
    }

    func testConfigurationParameterReply() {
        let frame = builder.configurationParameter(id: 0x0010, size: 2, value: 0x012C)
        XCTAssertEqual(frame.id, 0x19B5_0400)
        XCTAssertEqual(frame.data, [0x00, 0x10, 0x02, 0x00, 0x00, 0x01, 0x2C, 0x00])
    }

    func testTheBaseIsAParameter() throws {
        let other = try G1CANMessageBuilder(base: 0x0123)
        XCTAssertEqual(other.batteryVoltage(minCell: 0, maxCell: 0, averageCell: 0, totalVoltage: 0).id, 0x0123_0001)
        XCTAssertEqual(other.cellGroups(.voltages, bytes: [1])[0].id, 0x0123_0100)
        XCTAssertThrowsError(try G1CANMessageBuilder(base: 0x2000), "base << 16 must fit 29 bits")
    }

    func testIDsMapBackToMessages() {
        let messages: [G1CANMessage] = [
            .overallParameters, .batteryVoltage, .moduleTemperature, .balancingRate, .diagnosticCodes, .cellTemperature,
            .configurationParameter, .contactorControl, .stateOfCharge, .energy, .cellGroup(.voltages, group: 0),
            .cellGroup(.cellTemperatures, group: 0x1F),
        ]
        for message in messages {
            XCTAssertEqual(builder.message(forID: builder.id(of: message), extended: true), message)
        }
        XCTAssertNil(builder.message(forID: 0x19B6_0001, extended: true), "another base")
        XCTAssertNil(builder.message(forID: 0x001, extended: false), "standard IDs are not built")
        XCTAssertNil(builder.message(forID: 0x19B5_0004, extended: true), "an offset the table does not define")
        XCTAssertEqual(builder.request(.stateOfCharge), try CANFrame(id: 0x19B5_0500, extended: true, data: []))
    }
}
