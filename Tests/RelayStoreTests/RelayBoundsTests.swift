import Foundation
import SharedWire
import XCTest

@testable import TunnelRelay

/// The relay's own bounds on what peers hand it: monitor serial control, audit fields,
/// live telemetry keys.
final class RelayBoundsTests: XCTestCase {
    func testMonitorGateRefusesChangesAndKeepsAnswersInOrder() {
        var gate = MonitorControlGate()
        let dtr = SerialControlResult(operation: .setDTR, value: 1, status: .unsupported)
        XCTAssertEqual(gate.fromClient(.setDTR(true)), .answer([dtr]), "nothing out: answered at once")
        XCTAssertEqual(gate.fromClient(.queryState), .forward)
        XCTAssertEqual(gate.fromClient(.setBaudRate(9_600)), .answer([]), "waits behind the query")
        XCTAssertEqual(gate.fromClient(.queryState), .forward)
        XCTAssertEqual(gate.fromClient(.purge(.both)), .answer([]))
        let state = SerialControlResult(operation: .queryState, value: 0x10, status: .applied)
        XCTAssertEqual(gate.fromAgent(state), [state, .init(operation: .setBaudRate, value: 0, status: .unsupported)])
        XCTAssertEqual(gate.fromAgent(state), [state, .init(operation: .purge, value: 3, status: .unsupported)])
        XCTAssertEqual(gate.pendingCount, 0)
    }

    func testMonitorGateBoundsWhatItHolds() {
        var gate = MonitorControlGate()
        XCTAssertEqual(gate.fromClient(.queryState), .forward)
        for _ in 1..<RelayLimits.maxPendingMonitorControls { XCTAssertEqual(gate.fromClient(.setRTS(false)), .answer([])) }
        XCTAssertEqual(gate.fromClient(.setRTS(false)), .tooManyPending)
        XCTAssertEqual(gate.fromClient(.queryState), .tooManyPending)
    }

    func testAuditFieldsAreBounded() {
        let long = String(repeating: "é", count: 5_000)  // 10 000 bytes
        let entry = AuditEntry(
            at: Date(), event: .sessionEnded, actor: long, userID: long, deviceID: long, sessionID: long, reason: long, source: long)
        XCTAssertLessThanOrEqual(entry.reason.utf8.count, AuditEntry.maxReasonBytes)
        XCTAssertTrue(entry.reason.hasSuffix("…"))
        for field in [entry.actor, entry.userID!, entry.deviceID!, entry.sessionID!, entry.source!] {
            XCTAssertLessThanOrEqual(field.utf8.count, AuditEntry.maxNameBytes)
        }
        XCTAssertEqual(AuditEntry(at: Date(), event: .sessionEnded, actor: "relay", reason: "short").reason, "short")
    }

    func testLiveTelemetryKeepsTheNewestKeysWithinTheBounds() {
        let telemetry = LiveTelemetry()
        for record in 0..<10 {
            let values = (0..<100).map { "\"r\(record)k\($0)\":\($0)" }.joined(separator: ",")
            telemetry.received(deviceID: "pack-1", record: Array("{\"ts\":\(record),\"values\":{\(values)}}".utf8))
        }
        let kept = telemetry.snapshot(deviceID: "pack-1")!.values
        XCTAssertEqual(kept.count, LiveTelemetry.maxKeysPerDevice)
        XCTAssertNotNil(kept["r9k0"], "the newest record is kept whole")
        XCTAssertNil(kept["r0k0"], "the oldest go first")
        // Long keys are dropped; big values are bounded by the device's byte budget.
        let bigValue = String(repeating: "v", count: 10_000)
        telemetry.received(
            deviceID: "pack-2", record: Array("{\"ts\":1,\"values\":{\"\(String(repeating: "k", count: 200))\":1,\"ok\":1}}".utf8))
        XCTAssertEqual(Set(telemetry.snapshot(deviceID: "pack-2")!.values.keys), ["ok"])
        for index in 0..<20 {
            telemetry.received(deviceID: "pack-2", record: Array("{\"ts\":\(index + 2),\"values\":{\"big\(index)\":\"\(bigValue)\"}}".utf8))
        }
        let bytes = telemetry.snapshot(deviceID: "pack-2")!.values.reduce(0) { $0 + $1.key.utf8.count + $1.value.json.utf8.count }
        XCTAssertLessThanOrEqual(bytes, LiveTelemetry.maxBytesPerDevice)
        XCTAssertNotNil(telemetry.snapshot(deviceID: "pack-2")!.values["big19"])
    }

    /// The firmware version is handed on for the store when it first arrives and when it
    /// changes, never when it repeats, and never when it is not a plain version string.
    func testLiveTelemetryHandsOnAFirmwareVersionOnlyWhenItChanges() {
        let telemetry = LiveTelemetry()
        func record(_ ts: Int, _ values: String) -> String? {
            telemetry.received(deviceID: "pack-1", record: Array("{\"ts\":\(ts),\"values\":{\(values)}}".utf8))
        }
        XCTAssertNil(record(1, "\"soc\":80"))
        XCTAssertEqual(record(2, "\"firmwareVersion\":\"2.4.1\""), "2.4.1")
        XCTAssertNil(record(3, "\"firmwareVersion\":\"2.4.1\""), "a repeat is not written again")
        XCTAssertNil(record(4, "\"firmwareVersion\":\"2.4\\n<b>\""), "a control character makes it no version")
        XCTAssertNil(record(5, "\"firmwareVersion\":42"))
        XCTAssertEqual(record(6, "\"firmwareVersion\":\"2.5.0\""), "2.5.0")
        XCTAssertNil(record(1, "\"firmwareVersion\":\"1.0.0\""), "an older record does not replace a newer value")
    }
}
