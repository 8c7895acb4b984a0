import XCTest

@testable import AgentConfig

/// CAN signals: bit numbering both ways, signed values, odd offsets, lists, valid ranges, id
/// ranges, and the reference's frames through the shipped default. Expected values are
/// worked out by hand in the comments beside them.
final class CANDecodingTests: XCTestCase {
    /// A decoder for one packet X100 with the given params (JSON members).
    func decoder(_ params: String, packet: String = #""dlc": -1"#) throws -> TelemetryDecoder {
        let check = ConfigFixtures.params(#"{"protocols": {"can": {"packets": {"X100": {\#(packet), "params": {\#(params)}}}}}}"#)
        return TelemetryDecoder(config: try XCTUnwrap(check.model, check.report.problemLines.joined(separator: "\n")))
    }

    func values(_ decoder: TelemetryDecoder, _ data: [UInt8], id: UInt32 = 0x100, extended: Bool = true) -> [String: TelemetryValue.Value] {
        Dictionary(
            decoder.decodeCAN(id: id, extended: extended, data: data).map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    func testLittleAndBigEndianAtOddOffsets() throws {
        let decoder = try decoder(
            """
            "le6": {"start": 2, "bits": 6, "big_end": false, "route_to_mqtt": "le6"},
            "le8": {"start": 4, "bits": 8, "big_end": false, "route_to_mqtt": "le8"},
            "be8": {"start": 4, "bits": 8, "big_end": true, "route_to_mqtt": "be8"},
            "be5": {"start": 3, "bits": 5, "big_end": true, "route_to_mqtt": "be5"},
            "le16": {"start": 0, "bits": 16, "big_end": false, "route_to_mqtt": "le16"},
            "be16": {"start": 0, "bits": 16, "big_end": true, "route_to_mqtt": "be16"}
            """)
        let values = values(decoder, [0xB4, 0x03])
        // D0 = 1011 0100, D1 = 0000 0011.
        XCTAssertEqual(values["le6"], .number(45), "bits 2–7 of D0, LSB first: 101101")
        XCTAssertEqual(values["le8"], .number(0x3B), "bits 4–11 counting 8k + n: D0's top nibble 0xB, D1's low nibble 0x3")
        XCTAssertEqual(values["be8"], .number(0x40), "stream positions 4–11 from D0's top bit: 0100 0000")
        XCTAssertEqual(values["be5"], .number(20), "positions 3–7: 10100")
        XCTAssertEqual(values["le16"], .number(0x03B4))
        XCTAssertEqual(values["be16"], .number(0xB403))
    }

    func testSignedValuesAndScaling() throws {
        let decoder = try decoder(
            """
            "be12": {"start": 4, "bits": 12, "signed": true, "factor": 0.5, "route_to_mqtt": "be12"},
            "le16": {"start": 16, "bits": 16, "big_end": false, "signed": true, "factor": 0.1, "decimals": 1, "route_to_mqtt": "le16"},
            "positive": {"start": 32, "bits": 8, "signed": true, "offset": -100, "route_to_mqtt": "positive"},
            "all64": {"start": 0, "bits": 64, "big_end": false, "signed": true, "route_to_mqtt": "all64"}
            """)
        let values = values(decoder, [0x0F, 0xFE, 0x83, 0xFF, 0x7D, 0x00, 0x00, 0x80])
        XCTAssertEqual(values["be12"], .number(-1), "0xFFE over 12 bits = -2, × 0.5")
        XCTAssertEqual(values["le16"], .number(-12.5), "0xFF83 = -125, × 0.1")
        XCTAssertEqual(values["positive"], .number(25), "0x7D = 125 - 100")
        XCTAssertEqual(values["all64"], .number(Double(Int64(bitPattern: 0x8000_007D_FF83_FE0F))), "whole frame as int64")
    }

    func testFlagsAndShortFrames() throws {
        let decoder = try decoder(
            """
            "bit3": {"start": 3, "bits": 1, "big_end": false, "type": "BOOL", "route_to_mqtt": "bit3"},
            "bit12": {"start": 12, "bits": 1, "big_end": false, "type": "BOOL", "route_to_mqtt": "bit12"},
            "late": {"start": 16, "bits": 8, "route_to_mqtt": "late"}
            """)
        let values = values(decoder, [0x08, 0x00])
        XCTAssertEqual(values["bit3"], .flag(true))
        XCTAssertEqual(values["bit12"], .flag(false))
        XCTAssertNil(values["late"], "D2 is not in a 2-byte frame")
    }

    func testListsWithPackLengthAndIDRanges() throws {
        let decoder = try decoder(
            """
            "nibbles": {"start": 4, "bits": 4, "big_end": false, "packing": "LIST", "pack_length": 3, "route_to_mqtt": "nibbles"},
            "cells": {"start": 0, "bits": 8, "packing": "LIST", "pack_length": 8, "offset": 200, "factor": 0.01, "decimals": 2, "route_to_mqtt": "cells"}
            """, packet: #""range": 4"#)
        let first = values(decoder, [0x21, 0x43, 0x8C], id: 0x100)
        XCTAssertEqual(first["nibbles"], .list(first: 0, elements: [2, 3, 4]), "D0 high, D1 low, D1 high nibble")
        XCTAssertEqual(first["cells"], .list(first: 0, elements: [2.33, 2.67, 3.4]), "only the elements the 3 bytes hold")
        let third = values(decoder, [0x64, 0x65], id: 0x103)
        XCTAssertEqual(third["cells"], .list(first: 24, elements: [3.0, 3.01]), "group 3 of 8 cells starts at cell 24")
        XCTAssertEqual(values(decoder, [0x64], id: 0x104), [:], "past the range")
        XCTAssertEqual(values(decoder, [0x64], id: 0xFF), [:], "before the range")
        XCTAssertEqual(values(decoder, [0x64], id: 0x100, extended: false), [:], "a standard id is another id")
    }

    func testStandardIDsAndDLC() throws {
        let check = ConfigFixtures.params(
            #"{"protocols": {"can": {"packets": {"S305": {"dlc": 2, "params": {"v": {"bits": 16, "route_to_mqtt": "v"}}}}}}}"#)
        let decoder = TelemetryDecoder(config: try XCTUnwrap(check.model))
        XCTAssertEqual(values(decoder, [0x01, 0x02], id: 0x305, extended: false), ["v": .number(0x0102)])
        XCTAssertEqual(values(decoder, [0x01, 0x02, 0x03], id: 0x305, extended: false), [:], "dlc 2 refuses a 3-byte frame")
        XCTAssertEqual(values(decoder, [], id: 0x305, extended: false), [:], "a zero-length request is not data")
        XCTAssertEqual(values(decoder, [0x01, 0x02], id: 0x305, extended: true), [:])
    }

    func testValidRangeWithSendInvalidFalseAndTrue() throws {
        let decoder = try decoder(
            """
            "strict": {"start": 0, "bits": 8, "factor": 0.02, "valid_bot": 2, "valid_top": 4, "route_to_mqtt": "strict"},
            "lenient": {"start": 0, "bits": 8, "factor": 0.02, "valid_bot": 2, "valid_top": 4, "send_invalid": true, "route_to_mqtt": "lenient"},
            "list": {"start": 0, "bits": 8, "packing": "LIST", "pack_length": 3, "factor": 0.02, "valid_bot": 2, "valid_top": 4, "route_to_mqtt": "list"},
            "unchecked": {"start": 0, "bits": 8, "factor": 0.02, "route_to_mqtt": "unchecked"}
            """)
        // 100 × 0.02 = 2.0 (valid, at the bottom), 250 × 0.02 = 5.0 (too high), 150 → 3.0.
        let valid = values(decoder, [100, 250, 150])
        XCTAssertEqual(valid["strict"], .number(2))
        XCTAssertEqual(valid["list"], .list(first: 0, elements: [2, nil, 3]), "the invalid element is left out, its place kept")
        let invalid = values(decoder, [250])
        XCTAssertNil(invalid["strict"])
        XCTAssertEqual(invalid["lenient"], .number(5))
        XCTAssertEqual(invalid["unchecked"], .number(5), "valid_bot = valid_top = 0: no check")
    }

    func testTheReferenceFramesThroughTheShippedDefault() throws {
        let decoder = TelemetryDecoder(config: try ConfigFixtures.shippedParams())
        func frame(_ id: UInt32, _ data: [UInt8]) -> [String: TelemetryValue] {
            Dictionary(decoder.decodeCAN(id: id, extended: true, data: data).map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        }
        // 0x19B50001: 0x8C → 3.40 V, 0x96 → 3.50 V, 0x91 → 3.45 V; total 0x000186A0 = 100000 → 1000.00 V with
        // D3 = bits 8–15 (0x86), D4 = bits 0–7 (0xA0), D5 = bits 24–31 (0x00), D6 = bits 16–23 (0x01).
        let voltage = frame(0x19B5_0001, [0x8C, 0x96, 0x91, 0x86, 0xA0, 0x00, 0x01, 0x00])
        XCTAssertEqual(voltage["minCellVoltage"], TelemetryValue(key: "minCellVoltage", value: .number(3.4), units: "V", isDecimal: true))
        XCTAssertEqual(voltage["maxCellVoltage"]?.value, .number(3.5))
        XCTAssertEqual(voltage["avgCellVoltage"]?.value, .number(3.45))
        XCTAssertEqual(voltage["packVoltage"], TelemetryValue(key: "packVoltage", value: .number(1000), units: "V", isDecimal: true))
        // 0x187B in the low word only: 62.67 V, as CV1 gives it.
        XCTAssertEqual(frame(0x19B5_0001, [0, 0, 0, 0x18, 0x7B, 0x00, 0x00, 0])["packVoltage"]?.value, .number(62.67))

        // 0x19B50000: inputs 0b0101 (ignition, fast charge); outputs 0b100 (contactor); live cells D2 = MSB 0x01, D7 = LSB 0x2C → 300;
        // stage 3; duration 0x0102 = 258; last error 0.
        let overall = frame(0x19B5_0000, [0x05, 0x04, 0x01, 0x03, 0x01, 0x02, 0x00, 0x2C])
        XCTAssertEqual(overall["inputIgnition"]?.value, .flag(true))
        XCTAssertEqual(overall["inputChargerMains"]?.value, .flag(false))
        XCTAssertEqual(overall["inputFastCharge"]?.value, .flag(true))
        XCTAssertEqual(overall["outputContactor"]?.value, .flag(true))
        XCTAssertEqual(overall["outputHeater"]?.value, .flag(false))
        XCTAssertEqual(overall["liveCellCount"]?.value, .number(300))
        XCTAssertEqual(overall["chargingStage"]?.value, .number(3))
        XCTAssertEqual(overall["chargingStageDuration"]?.value, .number(258))

        // 0x19B50500: current 0xFF83 = -125 → -12.5 A; charge 0x01F4 = 500 → 50.0 Ah; SOC 80 %, SOH 100 %.
        let soc = frame(0x19B5_0500, [0xFF, 0x83, 0x01, 0xF4, 0, 0, 80, 100])
        XCTAssertEqual(soc["current"], TelemetryValue(key: "current", value: .number(-12.5), units: "A", isDecimal: true))
        XCTAssertEqual(soc["charge"]?.value, .number(50))
        XCTAssertEqual(soc["soc"]?.value, .number(80))
        XCTAssertEqual(soc["soh"]?.value, .number(100))
        XCTAssertNil(frame(0x19B5_0500, [0, 0, 0, 0, 0, 0, 200, 100])["soc"], "200 % is outside 0…100 and not sent")

        // 0x19B50007: protection LSB 0b101 (under-voltage, discharge over-current), MSB 0b1000 (bit 11, cell overheat);
        // power reduction 0b100000 (bit 5, high cell temperature).
        let diagnostics = frame(0x19B5_0007, [0x05, 0x20, 0x08, 0x00])
        XCTAssertEqual(diagnostics["protectionUnderVoltage"]?.value, .flag(true))
        XCTAssertEqual(diagnostics["protectionOverVoltage"]?.value, .flag(false))
        XCTAssertEqual(diagnostics["protectionDischargeOverCurrent"]?.value, .flag(true))
        XCTAssertEqual(diagnostics["protectionCellOverheat"]?.value, .flag(true))
        XCTAssertEqual(diagnostics["powerReductionHighCellTemperature"]?.value, .flag(true))
        XCTAssertEqual(diagnostics["powerReductionLowVoltage"]?.value, .flag(false))

        // 0x19B50102: cells 17–24 (group 2); 0x19B50802: cell temperatures 17–18, b − 100 °C.
        XCTAssertEqual(frame(0x19B5_0102, [0x8C, 0x8D])["cellVoltages"]?.value, .list(first: 16, elements: [3.4, 3.41]))
        XCTAssertEqual(frame(0x19B5_0802, [0x7D, 0x5A])["cellTemperatures"]?.value, .list(first: 16, elements: [25, -10]))
        XCTAssertEqual(frame(0x19B5_0002, [0x7D, 0x82, 0x7F])["maxModuleTemperature"]?.value, .number(30))
        XCTAssertEqual(frame(0x19B5_0003, [0x00, 0xFF, 0x80])["avgBalancingRate"]?.value, .number(50.2))
    }

    func testRoutesAddKeysBesideRouteToMQTT() throws {
        let check = ConfigFixtures.params(
            """
            {"protocols": {"can": {"packets": {"X7": {"params": {"v": {"route_to_mqtt": "v"}, "w": {"start": 8}}}}}},
             "routes": [{"from": {"prot": "can", "id": "X00000007", "param": "v"}, "to": {"prot": "mqtt", "param": "alsoV"}},
                        {"from": {"prot": "can", "id": "X7", "param": "w"}, "to": {"prot": "mqtt", "param": "w"}},
                        {"from": {"prot": "can", "id": "X7", "param": "w"}, "to": {"prot": "can", "param": "elsewhere"}}]}
            """)
        let decoder = TelemetryDecoder(config: try XCTUnwrap(check.model))
        XCTAssertEqual(
            decoder.decodeCAN(id: 7, extended: true, data: [1, 2]),
            [.init(key: "v", value: .number(1)), .init(key: "alsoV", value: .number(1)), .init(key: "w", value: .number(2))])
    }

    func testTheListAssemblerCapsHostileIndices() {
        var assembler = TelemetryListAssembler()
        let merged = assembler.merge(.init(key: "cells", value: .list(first: TelemetryListAssembler.maxElements - 1, elements: [1, 2, 3])))
        guard case .list(let first, let elements) = merged.value else { return XCTFail("\(merged)") }
        XCTAssertEqual(first, 0)
        XCTAssertEqual(elements.count, TelemetryListAssembler.maxElements)
        XCTAssertEqual(elements.last, 1)
        XCTAssertEqual(assembler.merge(.init(key: "n", value: .number(1))).value, .number(1), "other values pass unchanged")
    }
}
