import AgentConfig
import XCTest

@testable import TunnelAgent

final class PollScheduleTests: XCTestCase {
    let g1 = ParamsConfig.G1Protocol(
        requestPeriod: 1,
        packets: [
            .init(name: "CV1"), .init(name: "BV2", requestPeriod: 10), .init(name: "cells", sentence: "BV2"),
        ])

    func testEveryPacketIsDueAtStartThenAtItsOwnPeriod() {
        var schedule = PollSchedule(protocol: g1, start: 100)
        XCTAssertEqual(schedule.due(at: 100), ["CV1", "BV2"], "a sentence named twice is requested once")
        XCTAssertEqual(schedule.due(at: 100.5), [])
        XCTAssertEqual(schedule.due(at: 101), ["CV1"])
        XCTAssertEqual(schedule.due(at: 110), ["CV1", "BV2"])
        XCTAssertEqual(schedule.nextDue, 111)
    }

    func testAStallDoesNotCauseABurst() {
        var schedule = PollSchedule(protocol: g1, start: 0)
        _ = schedule.due(at: 0)
        XCTAssertEqual(schedule.due(at: 50), ["CV1", "BV2"], "each once, however far behind")
        XCTAssertEqual(schedule.due(at: 50.9), [])
        XCTAssertEqual(schedule.due(at: 51), ["CV1"])
    }

    func testNoG1ProtocolPollsNothing() {
        var schedule = PollSchedule(protocol: nil, start: 0)
        XCTAssertTrue(schedule.isEmpty)
        XCTAssertEqual(schedule.due(at: 1000), [])
    }
}
