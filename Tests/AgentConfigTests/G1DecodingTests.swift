import SharedWire
import XCTest

@testable import AgentConfig

/// G1 sentences through the shipped default params_config.json. Expected values are worked
/// out by hand from docs/reference (emus-g1.md), in the comments beside them.
final class G1DecodingTests: XCTestCase {
    var decoder: TelemetryDecoder!

    override func setUpWithError() throws {
        decoder = TelemetryDecoder(config: try ConfigFixtures.shippedParams())
    }

    /// The values of a decoded sentence by key.
    func decode(_ line: String) throws -> [String: TelemetryValue] {
        let values = decoder.decode(try G1Sentence(line: line))
        return Dictionary(values.map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
    }

    func decode(_ name: String, _ fields: [String]) -> [String: TelemetryValue] {
        Dictionary(decoder.decode(G1Sentence(name: name, fields: fields)).map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
    }

    func testCV1GivesPackVoltageAndSignedCurrent() throws {
        // 0x187B = 6267 → 62.67 V; 0xFF83 as int16 = -125 → -12.5 A.
        let values = try decode("CV1,0000187B,FF83,,,,,,,,,C4")
        XCTAssertEqual(values["packVoltage"], TelemetryValue(key: "packVoltage", value: .number(62.67), units: "V", isDecimal: true))
        XCTAssertEqual(values["current"], TelemetryValue(key: "current", value: .number(-12.5), units: "A", isDecimal: true))
        XCTAssertEqual(values.count, 2)
    }

    func testBV1CellVoltageSummary() {
        // 0x10 = 16 cells; 0x8C = 140 → 3.40 V, 0x96 = 150 → 3.50 V, 0x91 = 145 → 3.45 V; 0x1888 = 6280 → 62.80 V.
        let values = decode("BV1", ["10", "8C", "96", "91", "00001888", ""])
        XCTAssertEqual(values["cellCount"]?.value, .number(16))
        XCTAssertEqual(values["minCellVoltage"], TelemetryValue(key: "minCellVoltage", value: .number(3.4), units: "V", isDecimal: true))
        XCTAssertEqual(values["maxCellVoltage"]?.value, .number(3.5))
        XCTAssertEqual(values["avgCellVoltage"]?.value, .number(3.45))
        XCTAssertEqual(values["packVoltage"]?.value, .number(62.8))
    }

    func testAnEmptyFirstFieldMeansNoCellDataAndGivesNothingForIt() {
        let values = decode("BV1", ["", "", "", "", "", ""])
        XCTAssertTrue(values.isEmpty)
    }

    func testBV2GroupsBecomeOneCellList() throws {
        // Cells 1–8 then 9–10: bytes b → (b + 200) × 0.01 V.
        let first = decode("BV2", ["00", "0001", "8", "8C8D8E8F90919293"])
        let second = decode("BV2", ["00", "0009", "2", "64FF"])
        XCTAssertEqual(first["cellVoltages"]?.value, .list(first: 0, elements: [3.40, 3.41, 3.42, 3.43, 3.44, 3.45, 3.46, 3.47]))
        XCTAssertEqual(first["cellVoltages"]?.units, "V")
        XCTAssertEqual(second["cellVoltages"]?.value, .list(first: 8, elements: [3.00, 4.55]))
        var assembler = TelemetryListAssembler()
        _ = assembler.merge(try XCTUnwrap(second["cellVoltages"]))
        let whole = assembler.merge(try XCTUnwrap(first["cellVoltages"]))
        XCTAssertEqual(whole.value, .list(first: 0, elements: [3.40, 3.41, 3.42, 3.43, 3.44, 3.45, 3.46, 3.47, 3.00, 4.55]))
    }

    func testTemperaturesAndBalancing() {
        // b − 100 °C: 0x7D = 125 → 25, 0x82 = 130 → 30, 0x7F = 127 → 27; 0x5A = 90 → -10.
        let bt1 = decode("BT1", ["04", "7D", "82", "7F", ""])
        XCTAssertEqual(bt1["minModuleTemperature"], TelemetryValue(key: "minModuleTemperature", value: .number(25), units: "°C"))
        XCTAssertEqual(bt1["maxModuleTemperature"]?.value, .number(30))
        XCTAssertEqual(bt1["avgModuleTemperature"]?.value, .number(27))
        XCTAssertEqual(decode("BT3", ["02", "5A", "7D", "6C", ""])["minCellTemperature"]?.value, .number(-10))
        XCTAssertEqual(decode("BT4", ["00", "0001", "2", "5A7D"])["cellTemperatures"]?.value, .list(first: 0, elements: [-10, 25]))
        // b × 100 / 255 %: 0 → 0, 0xFF → 100, 0x80 = 128 → 50.196… → 50.2; threshold 0x8C → 3.40 V.
        let bb1 = decode("BB1", ["10", "00", "FF", "80", "", "8C"])
        XCTAssertEqual(bb1["minBalancingRate"]?.value, .number(0))
        XCTAssertEqual(bb1["maxBalancingRate"]?.value, .number(100))
        XCTAssertEqual(bb1["avgBalancingRate"], TelemetryValue(key: "avgBalancingRate", value: .number(50.2), units: "%", isDecimal: true))
        XCTAssertEqual(bb1["balancingThreshold"]?.value, .number(3.4))
    }

    func testBC1ChargeInCoulombsBecomesAmpereHours() {
        // 0x0002BF20 = 180000 C = 50 Ah; 0x00057E40 = 360000 C = 100 Ah; 0x1388 = 5000 → 50.00 %.
        let values = decode("BC1", ["0002BF20", "00057E40", "1388"])
        XCTAssertEqual(values["charge"], TelemetryValue(key: "charge", value: .number(50), units: "Ah", isDecimal: true))
        XCTAssertEqual(values["capacity"]?.value, .number(100))
        XCTAssertEqual(values["soc"], TelemetryValue(key: "soc", value: .number(50), units: "%", isDecimal: true))
    }

    func testST1StageAndEveryFlagAsItsOwnKey() {
        // Status 0x17 = 0b10111; protection 0x0801 = bits 0 and 11; power reduction 0x21 = bits 0 and 5.
        let values = decode("ST1", ["03", "00", "00", "0010", "17", "0801", "21", "00"])
        XCTAssertEqual(values["chargingStage"]?.value, .number(3))
        XCTAssertEqual(values["chargingStageDuration"]?.value, .number(16))
        let flags: [String: Bool] = [
            "cellVoltagesValid": true, "balancingRatesValid": true, "liveCellCountValid": true, "chargingFinished": false,
            "cellTemperaturesValid": true,
            "protectionUnderVoltage": true, "protectionOverVoltage": false, "protectionDischargeOverCurrent": false,
            "protectionChargeOverCurrent": false, "protectionCellModuleOverheat": false, "protectionLeakage": false,
            "protectionNoCellCommunication": false, "protectionCellOverheat": true,
            "powerReductionLowVoltage": true, "powerReductionHighCurrent": false, "powerReductionHighModuleTemperature": false,
            "powerReductionHighCellTemperature": true,
        ]
        for (key, flag) in flags {
            XCTAssertEqual(values[key]?.value, .flag(flag), key)
        }
        XCTAssertEqual(values["pinStatus"]?.value, .number(0))
    }

    func testVR1AndTD1StringsDecimalsAndRoutes() {
        let vr1 = decode("VR1", ["G1CU", "SIM00001", "2.4.1"])
        XCTAssertEqual(vr1["hardwareType"]?.value, .text("G1CU"))
        XCTAssertEqual(vr1["serialNumber"]?.value, .text("SIM00001"))
        XCTAssertEqual(vr1["firmwareVersion"]?.value, .text("2.4.1"))
        // Year to second are decimal and reach MQTT through routes; uptime 0xE10 = 3600 s.
        let td1 = decode("TD1", ["2026", "11", "26", "12", "05", "09", "00000E10"])
        XCTAssertEqual(td1["bmsYear"]?.value, .number(2026))
        XCTAssertEqual(td1["bmsMonth"]?.value, .number(11))
        XCTAssertEqual(td1["bmsMinute"]?.value, .number(5))
        XCTAssertEqual(td1["bmsSecond"]?.value, .number(9))
        XCTAssertEqual(td1["bmsUptime"], TelemetryValue(key: "bmsUptime", value: .number(3600), units: "s"))
        XCTAssertNil(td1["Month"], "a param without route_to_mqtt is published only through routes")
    }

    func testDT1CS1AndCG1() {
        // Speed 0x01F4 = 500 → 50.0 km/h; charger set voltage 0x0258 = 600 → 60.0 V, set current 0x64 = 100 → 10.0 A.
        XCTAssertEqual(
            decode("DT1", ["01F4", "0000", "0000", "0000", "0000", "0000", "", "", "", "", "", ""])["speed"]?.value, .number(50))
        let cs1 = decode("CS1", ["01", "02", "0258", "0064", "0257", "0063"])
        XCTAssertEqual(cs1["chargerSetVoltage"], TelemetryValue(key: "chargerSetVoltage", value: .number(60), units: "V", isDecimal: true))
        XCTAssertEqual(cs1["chargerSetCurrent"]?.value, .number(10))
        XCTAssertEqual(cs1["chargerCurrent"]?.value, .number(9.9))
        XCTAssertEqual(decode("CG1", ["1", "10", "1"])["currentSensorStatus"]?.value, .number(1))
    }

    func testRequestsUnknownSentencesAndBadFieldsGiveNothing() {
        XCTAssertEqual(decoder.decode(.request("CV1")), [])
        XCTAssertEqual(decoder.decode(G1Sentence(name: "SS1", fields: ["00"])), [])
        let values = decode("CV1", ["zz", "FF83"])
        XCTAssertNil(values["packVoltage"], "not hex")
        XCTAssertEqual(values["current"]?.value, .number(-12.5))
    }

    func testEncodingsOnTheirOwn() throws {
        let config = try XCTUnwrap(
            ConfigFixtures.params(
                """
                {"protocols": {"g1": {"packets": {"IN1": {"params": {
                  "le": {"field": 1, "big_end": false, "route_to_mqtt": "le"},
                  "signed": {"field": 2, "signed": true, "route_to_mqtt": "signed"},
                  "dec": {"field": 3, "encoding": "DEC", "factor": 2, "route_to_mqtt": "dec"},
                  "decBit": {"field": 4, "encoding": "DEC", "bit": 2, "route_to_mqtt": "decBit"},
                  "nonZero": {"field": 5, "type": "BOOL", "route_to_mqtt": "nonZero"},
                  "signedBytes": {"field": 6, "encoding": "BYTES", "signed": true, "route_to_mqtt": "signedBytes"}
                }}}}}}
                """
            ).model)
        let values = Dictionary(
            TelemetryDecoder(config: config).decode(G1Sentence(name: "IN1", fields: ["3412", "80", "-1.25", "4", "00", "7F80FF"])).map {
                ($0.key, $0.value)
            },
            uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(values["le"], .number(0x1234), "byte pairs reversed")
        XCTAssertEqual(values["signed"], .number(-128), "0x80 over 8 bits")
        XCTAssertEqual(values["dec"], .number(-2.5))
        XCTAssertEqual(values["decBit"], .flag(true), "4 = 0b100")
        XCTAssertEqual(values["nonZero"], .flag(false))
        XCTAssertEqual(values["signedBytes"], .list(first: 0, elements: [127, -128, -1]))
    }
}

/// Cell indexes a BMS may put in a BV2 line that no list can hold.
final class G1HostileIndexTests: XCTestCase {
    func testAHugeFirstCellGivesNoValueInsteadOfATrap() throws {
        let decoder = TelemetryDecoder(config: try ConfigFixtures.shippedParams())
        var assembler = TelemetryListAssembler()
        // 0x7FFFFFFFFFFFFFFF − 1 + 8 cells overflowed `first + elements.count`.
        for index in ["7FFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "0401", "-1", "0"] {
            let values = decoder.decode(G1Sentence(name: "BV2", fields: ["00", index, "8", "8C8D8E8F90919293"]))
            XCTAssertNil(values.first { $0.key == "cellVoltages" }, "first cell \(index)")
            for value in values { _ = assembler.merge(value) }
        }
        let good = decoder.decode(G1Sentence(name: "BV2", fields: ["00", "0400", "1", "8C"]))
        let whole = assembler.merge(try XCTUnwrap(good.first { $0.key == "cellVoltages" }))
        guard case .list(0, let elements) = whole.value else { return XCTFail("\(whole)") }
        XCTAssertEqual(elements.count, TelemetryListAssembler.maxElements)
    }

    func testTheAssemblerTakesAnyPositionWithoutATrap() {
        var assembler = TelemetryListAssembler()
        for first in [Int.max, Int.max - 3, Int.min, -1, TelemetryListAssembler.maxElements] {
            let merged = assembler.merge(TelemetryValue(key: "cells", value: .list(first: first, elements: [1, 2, 3, 4]), units: ""))
            XCTAssertEqual(merged.value, .list(first: 0, elements: []), "first \(first)")
        }
    }
}
