import XCTest

@testable import TunnelAgent

/// ThingsBoard's `getSessionLimits` answer, read as the server writes it.
final class SessionLimitsTests: XCTestCase {
    func testTheServersAnswerIsRead() throws {
        let answer = #"""
            {"maxPayloadSize":65536,"maxInflightMessages":100,"rateLimits":{"messages":"200:1,6000:60,14000:3600",
             "telemetryMessages":"100:1,3000:60,7000:3600","telemetryDataPoints":"200:1,6000:60,14000:3600"}}
            """#
        let limits = try SessionLimits.parse(Array(answer.utf8))
        XCTAssertEqual(limits.maxPayloadSize, 65_536)
        XCTAssertEqual(limits.maxInflightMessages, 100)
        XCTAssertEqual(
            limits.messages, [.init(count: 200, seconds: 1), .init(count: 6000, seconds: 60), .init(count: 14000, seconds: 3600)])
        XCTAssertEqual(limits.telemetryMessages.map(\.description), ["100:1", "3000:60", "7000:3600"])
        XCTAssertEqual(limits.telemetryDataPoints.last, .init(count: 14_000, seconds: 3600))
    }

    func testWhatTheAnswerLeavesOutHasNoRateLimitAndTheConservativeSizes() throws {
        let limits = try SessionLimits.parse(Array(#"{"rateLimits":{"messages":""}}"#.utf8))
        XCTAssertEqual(limits.messages, [])
        XCTAssertEqual(limits.telemetryDataPoints, [])
        XCTAssertEqual(limits.maxPayloadSize, SessionLimits.conservative.maxPayloadSize)
        XCTAssertEqual(limits.maxInflightMessages, SessionLimits.conservative.maxInflightMessages)
    }

    func testAMalformedAnswerIsRefusedNamingTheMember() {
        func problem(_ text: String) -> String? {
            do {
                _ = try SessionLimits.parse(Array(text.utf8))
                return nil
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(
            problem(#"{"rateLimits":{"telemetryMessages":"100:1,abc"}}"#),
            "getSessionLimits answer $.rateLimits.telemetryMessages: found \"abc\", expected count:seconds windows separated by commas, each a whole number ≥ 1, seconds at most 86400"
        )
        XCTAssertEqual(
            problem(#"{"maxPayloadSize":12}"#),
            "getSessionLimits answer $.maxPayloadSize: found 12, expected a whole number of at least 256")
        XCTAssertNotNil(problem(#"{"rateLimits":{"messages":"0:1"}}"#))
        XCTAssertNotNil(problem(#"{"rateLimits":{"messages":10}}"#))
        XCTAssertNotNil(problem(#"{"maxInflightMessages":1.5}"#))
        XCTAssertNotNil(problem(#"[1]"#))
        XCTAssertNotNil(problem("not json"))
    }
}
