import AgentConfig
import Foundation
import NIOCore
import SharedWire
import XCTest

@testable import TunnelAgent

final class TelemetryEncodingTests: XCTestCase {
    func testValuesBecomeJSONMembersInFirstSeenOrder() {
        let members = TelemetryRecordEncoder.members([
            TelemetryValue(key: "soc", value: .number(81.5)),
            TelemetryValue(key: "cells", value: .number(16)),
            TelemetryValue(key: "fw", value: .text("2.4 \"beta\"\n")),
            TelemetryValue(key: "charging", value: .flag(true)),
            TelemetryValue(key: "v", value: .list(first: 0, elements: [3.31, nil, 3.3])),
            TelemetryValue(key: "soc", value: .number(82)),
            TelemetryValue(key: "bad", value: .number(.nan)),
        ])
        XCTAssertEqual(members, #""soc":82,"cells":16,"charging":true,"v":[3.31,null,3.3]"#, "text is not telemetry")
    }

    func testADecimalKeyIsAlwaysADoubleAndAnIntegerKeyAlwaysALong() {
        let members = TelemetryRecordEncoder.members([
            TelemetryValue(key: "packVoltage", value: .number(12), isDecimal: true),
            TelemetryValue(key: "current", value: .number(-3), isDecimal: true),
            TelemetryValue(key: "cellVoltages", value: .list(first: 0, elements: [3, 3.31, nil]), isDecimal: true),
            TelemetryValue(key: "cellCount", value: .number(16)),
            TelemetryValue(key: "big", value: .number(1e20), isDecimal: true),
        ])
        XCTAssertEqual(members, #""packVoltage":12.0,"current":-3.0,"cellVoltages":[3.0,3.31,null],"cellCount":16,"big":1e+20"#)
        // Every number of a decimal key parses as a JSON number with a fraction or exponent.
        XCTAssertEqual(ParamScaling(factor: 0.01).givesFractions, true)
        XCTAssertEqual(ParamScaling(offset: -0.5).givesFractions, true)
        XCTAssertEqual(ParamScaling(factor: 1, decimals: 1).givesFractions, true)
        XCTAssertEqual(ParamScaling(offset: -100, factor: 2).givesFractions, false)
    }

    func testTheDecoderMarksKeysOfFractionalParamsDecimal() throws {
        let config = try ParamsConfig.load(path: XCTUnwrap(ParamsConfig.shippedDefaultURL).path)
        let decoder = TelemetryDecoder(config: config)
        // CV1: pack voltage 0x1900 × 0.01 = 64.00 V, a whole number, still a double.
        let values = decoder.decode(G1Sentence(name: "CV1", fields: ["00001900", "0000"]))
        let members = try XCTUnwrap(TelemetryRecordEncoder.members(values))
        XCTAssertTrue(members.contains(#""packVoltage":64.0"#), members)
    }

    func testTextValuesGoAsClientAttributeStringsNeverAsTelemetry() throws {
        let values = [
            TelemetryValue(key: "serialNumber", value: .text("00012345")), TelemetryValue(key: "soc", value: .number(80)),
            TelemetryValue(key: "bmsModel", value: .text("1e5")),
        ]
        XCTAssertEqual(TelemetryRecordEncoder.members(values), #""soc":80"#)
        XCTAssertEqual(TelemetryRecordEncoder.texts(values), ["serialNumber": "00012345", "bmsModel": "1e5"])
        let attributes = ClientAttributes(
            agentVersion: "1", configHash: "h", firmwareVersion: nil, serialNumber: "00012345", hardwareType: nil,
            texts: ["serialNumber": "00012345", "bmsModel": "1e5"])
        let text = UplinkJSON.text(attributes)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
        XCTAssertEqual(parsed["serialNumber"] as? String, "00012345", "a string, leading zeros and all")
        XCTAssertEqual(parsed["bmsModel"] as? String, "1e5")
        XCTAssertEqual(text.components(separatedBy: "serialNumber").count, 2, "once: \(text)")
        XCTAssertNil(parsed["firmwareVersion"], "absent, not null")
    }

    func testNothingToSendIsNil() {
        XCTAssertNil(TelemetryRecordEncoder.members([]))
        XCTAssertNil(TelemetryRecordEncoder.members([TelemetryValue(key: "x", value: .number(.infinity))]))
    }

    func testTheTapDecodesBothDirectionsAcrossSplitReadsAndSkipsNoise() throws {
        let config = try ParamsConfig.load(path: XCTUnwrap(ParamsConfig.shippedDefaultURL).path)
        var tap = TelemetryTap(decoder: TelemetryDecoder(config: config))
        let cv1 = G1Sentence(name: "CV1", fields: ["00001910", "FF83"]).line  // 64.16 V, -12.5 A
        let bytes = Array(("garbage\r\n" + cv1).utf8)
        var records: [TelemetryRecord] = []
        for chunk in stride(from: 0, to: bytes.count, by: 5) {
            records += tap.bmsBytes(ByteBuffer(bytes: bytes[chunk..<min(chunk + 5, bytes.count)]), at: 42)
        }
        XCTAssertEqual(records, [TelemetryRecord(timestamp: 42, members: #""packVoltage":64.16,"current":-12.5"#)])
        XCTAssertEqual(tap.invalidLines, 1)
        XCTAssertEqual(tap.clientBytes(ByteBuffer(string: G1Sentence.request("CV1").line), at: 43), [], "a request carries no values")
        let vr1 = G1Sentence(name: "VR1", fields: ["G1CU", "SN42", "2.4.1"]).line
        _ = tap.bmsBytes(ByteBuffer(string: vr1), at: 44)
        XCTAssertEqual(tap.version?.serialNumber, "SN42")
    }

    func testPublisherBatchesRecordsAndAddsTheSequenceKey() {
        var publisher = TelemetryPublisher(window: 2, sequenceKey: "seq")
        let records = (1...150).map {
            QueuedRecord(sequence: Int64($0), record: TelemetryRecord(timestamp: 1000 + Int64($0), members: #""a":1"#))
        }
        let (payload, used) = publisher.payload(for: records)
        XCTAssertEqual(used.count, TelemetryPublisher.maxRecordsPerMessage)
        XCTAssertTrue(payload.hasPrefix(#"[{"ts":1001,"values":{"a":1,"seq":1}},{"ts":1002,"#), payload)
        publisher.sent(used, messageID: 7)
        XCTAssertEqual(publisher.cursor, 100)
        XCTAssertTrue(publisher.hasRoom)
        publisher.sent(records[100...], messageID: 8)
        XCTAssertFalse(publisher.hasRoom, "the window is full")
        XCTAssertEqual(publisher.acknowledged(7), .init(first: 1, last: 100, count: 100))
        XCTAssertNil(publisher.acknowledged(7), "a PUBACK counts once")
        publisher.restart()
        XCTAssertEqual(publisher.cursor, 0, "after a reconnect the unacknowledged records go again")
        XCTAssertNil(publisher.acknowledged(8))
    }

    func testPayloadStaysUnderTheSizeCap() {
        let big = String(repeating: "x", count: 20_000)
        let records = (1...5).map { QueuedRecord(sequence: Int64($0), record: TelemetryRecord(timestamp: 1, members: "\"k\":\"\(big)\"")) }
        let (payload, used) = TelemetryPublisher(window: 1, sequenceKey: nil).payload(for: records)
        XCTAssertEqual(used.count, 2)
        XCTAssertLessThanOrEqual(payload.utf8.count, TelemetryPublisher.maxPayloadBytes)
    }

    func testBrokerAddresses() {
        XCTAssertEqual(BrokerAddress(uri: "mqtt://broker")?.description, "mqtt://broker:1883")
        XCTAssertEqual(BrokerAddress(uri: "mqtts://broker")?.port, 8883)
        XCTAssertEqual(BrokerAddress(uri: "mqtts://[::1]:9883/x")?.host, "::1")
        XCTAssertEqual(BrokerAddress(uri: "mqtt://10.0.0.1:1884")?.port, 1884)
        XCTAssertNil(BrokerAddress(uri: "http://broker"))
        XCTAssertNil(BrokerAddress(uri: "mqtt://:1883"))
    }
}

final class CANTapTests: XCTestCase {
    func testG1CANFramesBecomeRecordsAndUnnamedFramesAreCounted() throws {
        let config = try ParamsConfig.load(path: XCTUnwrap(ParamsConfig.shippedDefaultURL).path)
        var tap = CANTap(decoder: TelemetryDecoder(config: config))
        let builder = try G1CANMessageBuilder()
        let frame = builder.batteryVoltage(minCell: 200, maxCell: 201, averageCell: 201, totalVoltage: 6410)
        let record = try XCTUnwrap(tap.record(for: frame, at: 7))
        XCTAssertEqual(record.timestamp, 7)
        XCTAssertTrue(record.members.contains(#""packVoltage":64.1"#), record.members)
        XCTAssertTrue(record.members.contains(#""minCellVoltage":4"#), record.members)
        XCTAssertNil(tap.record(for: try CANFrame(id: 0x7FF, extended: false, data: [1]), at: 8))
        XCTAssertNil(tap.record(for: builder.request(.batteryVoltage), at: 9), "a request (zero-length frame) carries no values")
        XCTAssertNil(tap.record(for: try CANFrame(remoteID: 0x19B5_0001, extended: true), at: 10), "nor does a remote frame")
        XCTAssertEqual(tap.frames, 3, "remote frames are not counted")
        XCTAssertEqual(tap.unnamed, 2)
    }
}
