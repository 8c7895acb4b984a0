import Foundation
import XCTest

@testable import TunnelRelay

/// Whether a node's heartbeat still holds its agents, time passed in.
final class NodeLeaseTests: XCTestCase {
    private let heartbeat = Date(timeIntervalSince1970: 1_800_000_000)

    func testTheStandardNumbers() {
        XCTAssertEqual(NodeLease.standard.heartbeatInterval, .seconds(3))
        XCTAssertEqual(NodeLease.standard.duration, .seconds(15))
        XCTAssertEqual(NodeLease.standard.forgottenAfter, .seconds(3600))
    }

    func testLiveUpToTheLeaseAndNotAfter() {
        let lease = NodeLease.standard
        XCTAssertTrue(lease.isLive(heartbeatAt: heartbeat, now: heartbeat))
        XCTAssertTrue(lease.isLive(heartbeatAt: heartbeat, now: heartbeat + 15))
        XCTAssertFalse(lease.isLive(heartbeatAt: heartbeat, now: heartbeat + 15.001))
        XCTAssertFalse(lease.isLive(heartbeatAt: heartbeat, now: heartbeat + 3600))
    }

    func testAHeartbeatAfterTheReadingClockIsLive() {
        XCTAssertTrue(NodeLease.standard.isLive(heartbeatAt: heartbeat + 2, now: heartbeat))
    }

    func testNoHeartbeatIsNeverLive() {
        XCTAssertFalse(NodeLease.standard.isLive(heartbeatAt: nil, now: heartbeat))
    }

    func testOtherLeases() {
        let short = NodeLease(heartbeatInterval: .milliseconds(100), duration: .milliseconds(500), forgottenAfter: .seconds(2))
        XCTAssertTrue(short.isLive(heartbeatAt: heartbeat, now: heartbeat + 0.5))
        XCTAssertFalse(short.isLive(heartbeatAt: heartbeat, now: heartbeat + 0.6))
        XCTAssertEqual(short.forgetBefore(now: heartbeat + 10), heartbeat + 8)
    }
}
