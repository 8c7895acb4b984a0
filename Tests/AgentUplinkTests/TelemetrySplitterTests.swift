import Foundation
import XCTest

@testable import TunnelAgent

/// Records into messages within the payload, data point and record bounds; a record too big
/// alone is divided by its keys, same `ts`, and leaves the queue only when every part is acknowledged.
final class TelemetrySplitterTests: XCTestCase {
    private func queued(_ sequence: Int64, _ members: String, ts: Int64 = 1000) -> QueuedRecord {
        QueuedRecord(sequence: sequence, record: TelemetryRecord(timestamp: ts, members: members))
    }

    private func parsed(_ text: String) throws -> [[String: Any]] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], text)
    }

    func testMembersAreCutAtTopLevelCommasOnly() {
        let text = #""a":1,"b":[1,2,{"x":"y,z"}],"c":"q\",uote","d":{"e":[3,4]}"#
        XCTAssertEqual(TelemetrySplitter.split(text), [#""a":1"#, #""b":[1,2,{"x":"y,z"}]"#, #""c":"q\",uote""#, #""d":{"e":[3,4]}"#])
        XCTAssertEqual(TelemetrySplitter.key(of: #""c\"d":1"#), #"c\"d"#)
    }

    func testWholeRecordsUpToEachBound() throws {
        let records = (1...10).map { queued(Int64($0), #""a":1,"b":2"#, ts: 1000 + Int64($0)) }
        let byPoints = TelemetrySplitter.next(
            records[...], sequenceKey: "seq", shape: .init(maxPayloadBytes: 10_000, maxDataPoints: 10, maxRecords: 100))
        XCTAssertEqual(byPoints.count, 1)
        XCTAssertEqual(byPoints[0].records.count, 3, "3 records of 3 keys (seq included) fit 10 data points")
        XCTAssertEqual(byPoints[0].dataPoints, 9)
        XCTAssertNil(byPoints[0].parts)
        XCTAssertEqual(try parsed(byPoints[0].text).count, 3)

        let byRecords = TelemetrySplitter.next(
            records[...], sequenceKey: nil, shape: .init(maxPayloadBytes: 10_000, maxDataPoints: 1000, maxRecords: 4))
        XCTAssertEqual(byRecords[0].records.map(\.sequence), [1, 2, 3, 4])

        let byBytes = TelemetrySplitter.next(
            records[...], sequenceKey: nil, shape: .init(maxPayloadBytes: 100, maxDataPoints: 1000, maxRecords: 100))
        XCTAssertLessThanOrEqual(byBytes[0].text.utf8.count, 100)
        XCTAssertEqual(byBytes[0].records.count, 2)
        XCTAssertEqual(
            TelemetrySplitter.next([][...], sequenceKey: nil, shape: .init(maxPayloadBytes: 100, maxDataPoints: 1, maxRecords: 1)), [])
    }

    func testARecordTooBigAloneIsDividedByItsKeysWithTheSameTimestamp() throws {
        let members = (1...30).map { "\"cell\($0)\":3.3\($0 % 10)" }.joined(separator: ",")
        let record = queued(7, members, ts: 4242)
        let parts = TelemetrySplitter.next(
            [record, queued(8, #""a":1"#)][...], sequenceKey: "seq", shape: .init(maxPayloadBytes: 200, maxDataPoints: 8, maxRecords: 100))
        XCTAssertEqual(parts.count, 5, "30 keys, 7 per part beside seq")
        var keys: [String] = []
        for part in parts {
            XCTAssertEqual(part.parts, 5)
            XCTAssertEqual(part.records.map(\.sequence), [7], "the next record waits for the next message")
            XCTAssertLessThanOrEqual(part.text.utf8.count, 200)
            XCTAssertLessThanOrEqual(part.dataPoints, 8)
            let items = try parsed(part.text)
            XCTAssertEqual(items.count, 1)
            XCTAssertEqual(items[0]["ts"] as? Int, 4242)
            let values = try XCTUnwrap(items[0]["values"] as? [String: Any])
            XCTAssertEqual(values["seq"] as? Int, 7, "each part names its record")
            keys += values.keys.filter { $0 != "seq" }
        }
        XCTAssertEqual(Set(keys), Set((1...30).map { "cell\($0)" }), "every key once")
        XCTAssertEqual(keys.count, 30)
    }

    func testAKeyTooBigForAnyMessageIsLeftOutRatherThanRetriedForever() throws {
        let huge = String(repeating: "x", count: 500)
        let parts = TelemetrySplitter.next(
            [queued(3, #""a":1,"blob":"\#(huge)","b":2"#)][...], sequenceKey: nil,
            shape: .init(maxPayloadBytes: 200, maxDataPoints: 100, maxRecords: 100))
        XCTAssertEqual(parts.count, 1)
        XCTAssertEqual(parts[0].droppedKeys, ["blob"])
        XCTAssertEqual(try parsed(parts[0].text)[0]["values"] as? NSDictionary, ["a": 1, "b": 2] as NSDictionary)
    }

    func testADividedRecordLeavesTheQueueWhenEveryPartIsAcknowledged() {
        let members = (1...6).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        var publisher = TelemetryPublisher(window: 20, sequenceKey: nil)
        let parts = publisher.messages(for: [queued(5, members)], shape: .init(maxPayloadBytes: 1000, maxDataPoints: 2, maxRecords: 100))
        XCTAssertEqual(parts.count, 3)
        for (index, part) in parts.enumerated() {
            publisher.sent(part, messageID: Int32(10 + index), isLastPart: index == parts.count - 1)
            XCTAssertEqual(publisher.cursor, index == parts.count - 1 ? 5 : 0, "the cursor moves past the record with its last part")
        }
        XCTAssertEqual(publisher.acknowledge(12), .part, "acknowledgements may come in any order")
        XCTAssertEqual(publisher.acknowledge(10), .part)
        XCTAssertEqual(publisher.acknowledge(99), .other, "not telemetry")
        XCTAssertEqual(publisher.acknowledge(11), .done(.init(first: 5, last: 5, count: 1)))
    }

    func testTheShapeTakesTheSmallerOfOursAndTheServers() {
        let limits = SessionLimits(
            maxPayloadSize: 4096, maxInflightMessages: 10, messages: [], telemetryMessages: [],
            telemetryDataPoints: [.init(count: 50, seconds: 1)])
        let pacer = TelemetryPacer(limits: limits, publishRate: 30)
        XCTAssertEqual(
            TelemetryPublisher.shape(limits: limits, pacer: pacer),
            .init(maxPayloadBytes: 4096 - TelemetryPublisher.packetOverhead, maxDataPoints: 50, maxRecords: 30))
        let generous = SessionLimits(
            maxPayloadSize: 1 << 20, maxInflightMessages: 100, messages: [], telemetryMessages: [], telemetryDataPoints: [])
        XCTAssertEqual(
            TelemetryPublisher.shape(limits: generous, pacer: TelemetryPacer(limits: generous, publishRate: 0)),
            .init(
                maxPayloadBytes: TelemetryPublisher.maxPayloadBytes, maxDataPoints: .max,
                maxRecords: TelemetryPublisher.maxRecordsPerMessage))
        XCTAssertTrue(TelemetryPublisher(window: 20, sequenceKey: nil).hasRoom(serverLimit: 3))
    }
}
