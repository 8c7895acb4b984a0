import XCTest

@testable import TunnelAgent

/// The pacer, driven with the time passed in: no window of any limit is ever exceeded, and a
/// backlog goes at the fastest pace the windows allow.
final class TelemetryPacerTests: XCTestCase {
    private func limits(messages: String = "", telemetry: String = "", points: String = "") throws -> SessionLimits {
        SessionLimits(
            maxPayloadSize: 65_536, maxInflightMessages: 100, messages: try SessionLimits.windows(messages, member: "m"),
            telemetryMessages: try SessionLimits.windows(telemetry, member: "t"),
            telemetryDataPoints: try SessionLimits.windows(points, member: "p"))
    }

    /// Sends `cost` as soon as allowed, `count` times; the send times.
    private func drain(_ pacer: inout TelemetryPacer, _ cost: TelemetryPacer.Cost, count: Int) throws -> [Double] {
        var now = 0.0
        var times: [Double] = []
        for _ in 0..<count {
            now = try XCTUnwrap(pacer.earliest(cost, now: now))
            pacer.record(cost, at: now)
            times.append(now)
        }
        return times
    }

    /// The most sent within any `seconds` long window, among `times` each costing `amount`.
    private func busiest(_ times: [Double], seconds: Double, amount: Int = 1) -> Int {
        times.indices.map { i in times[i...].prefix { $0 < times[i] + seconds }.count * amount }.max() ?? 0
    }

    func testEveryWindowOfEveryLimitHoldsWhileABacklogDrains() throws {
        var pacer = TelemetryPacer(limits: try limits(messages: "10:1,30:10", telemetry: "5:1", points: "40:1,100:5"), publishRate: 0)
        let cost = TelemetryPacer.Cost.telemetry(dataPoints: 8, records: 2)
        let times = try drain(&pacer, cost, count: 60)
        XCTAssertLessThanOrEqual(busiest(times, seconds: 1), 5, "telemetry messages 5:1")
        XCTAssertLessThanOrEqual(busiest(times, seconds: 1, amount: 8), 40, "data points 40:1")
        XCTAssertLessThanOrEqual(busiest(times, seconds: 5, amount: 8), 100, "data points 100:5")
        XCTAssertLessThanOrEqual(busiest(times, seconds: 10), 27, "messages 30:10, less the tenth kept for others")
        // No faster than the windows allow (27 messages per 10.3 s: 60 need two refills), and
        // no idling: every send waited only until a window had room.
        let last = try XCTUnwrap(times.last)
        XCTAssertGreaterThanOrEqual(last, 2 * TelemetryPacer.margin(10))
        XCTAssertLessThan(last, 3 * TelemetryPacer.margin(10))
        var replay = TelemetryPacer(limits: try limits(messages: "10:1,30:10", telemetry: "5:1", points: "40:1,100:5"), publishRate: 0)
        for time in times {
            XCTAssertEqual(replay.earliest(cost, now: 0) ?? -1, time, accuracy: 1e-9)
            if time > 0 { XCTAssertGreaterThan(replay.earliest(cost, now: time - 0.01) ?? 0, time - 0.01, "it could not have gone sooner") }
            replay.record(cost, at: time)
        }
    }

    func testTheFirstMessagesGoAtOnceAndTheNextWhenTheOldestLeavesTheWindow() throws {
        var pacer = TelemetryPacer(limits: try limits(telemetry: "3:1"), publishRate: 0)
        let times = try drain(&pacer, .telemetry(dataPoints: 1, records: 1), count: 7)
        let window = TelemetryPacer.margin(1)
        XCTAssertEqual(times, [0, 0, 0, window, window, window, 2 * window])
    }

    func testOtherMessagesCountAndTelemetryLeavesThemAReserve() throws {
        var pacer = TelemetryPacer(limits: try limits(messages: "20:1"), publishRate: 0)
        XCTAssertEqual(pacer.largest(.messages), 18)
        let telemetry = TelemetryPacer.Cost.telemetry(dataPoints: 1, records: 1)
        for _ in 0..<15 { pacer.record(telemetry, at: 0) }
        for _ in 0..<3 { pacer.record(.other, at: 0.5) }
        XCTAssertEqual(pacer.earliest(telemetry, now: 0.5), TelemetryPacer.margin(1), "15 + 3 others use the allowance")
        XCTAssertEqual(pacer.usage(now: 0.6), [18])
    }

    func testADownloadAndTelemetryEachKeepTheirHalfOfTheMessagesWindows() throws {
        var pacer = TelemetryPacer(limits: try limits(messages: "20:1"), publishRate: 0)
        let telemetry = TelemetryPacer.Cost.telemetry(dataPoints: 1, records: 1)
        // Telemetry alone has the whole allowance of 18.
        XCTAssertEqual(try drain(&pacer, telemetry, count: 18), Array(repeating: 0, count: 18))
        // A download starting then waits only for the window, not for telemetry to stop...
        let window = TelemetryPacer.margin(1)
        XCTAssertEqual(pacer.earliest(.background, now: 0.5), window)
        // ...and from then on each side gets 9 of the 18 a window, however much the other wants.
        var now = window
        var sends: [(at: Double, background: Bool)] = []
        while now < 5 * window {
            let nextTelemetry = try XCTUnwrap(pacer.earliest(telemetry, now: now))
            let nextRequest = try XCTUnwrap(pacer.earliest(.background, now: now))
            let background = nextRequest <= nextTelemetry
            now = min(nextTelemetry, nextRequest)
            pacer.record(background ? .background : telemetry, at: now)
            sends.append((now, background))
        }
        for start in stride(from: window, to: 4 * window, by: window) {
            let inWindow = sends.filter { $0.at >= start && $0.at < start + window }
            XCTAssertEqual(inWindow.filter(\.background).count, 9, "chunk requests in the window from \(start)")
            XCTAssertEqual(inWindow.filter { !$0.background }.count, 9, "telemetry in the window from \(start)")
        }
        XCTAssertEqual(busiest(sends.map(\.at), seconds: 1), 18, "never more than the allowance together")
        XCTAssertNil(TelemetryPacer(limits: try limits(messages: "1:1"), publishRate: 0).earliest(TelemetryPacer.Cost(messages: 2), now: 0))
    }

    func testPublishRateIsOneMoreWindowOfRecords() throws {
        var pacer = TelemetryPacer(limits: try limits(), publishRate: 50)
        XCTAssertEqual(pacer.largest(.records), 50)
        let cost = TelemetryPacer.Cost.telemetry(dataPoints: 20, records: 20)
        let times = try drain(&pacer, cost, count: 5)
        XCTAssertEqual(times, [0, 0, TelemetryPacer.margin(1), TelemetryPacer.margin(1), 2 * TelemetryPacer.margin(1)])
        XCTAssertNil(pacer.earliest(.telemetry(dataPoints: 1, records: 51), now: 10), "more than a window can ever hold")
        let unpaced = TelemetryPacer(limits: try limits(), publishRate: 0)
        XCTAssertEqual(unpaced.earliest(cost, now: 3), 3, "no limits, no wait")
    }

    func testNewLimitsKeepWhatWasSent() throws {
        var pacer = TelemetryPacer(limits: try limits(telemetry: "100:1"), publishRate: 0)
        let cost = TelemetryPacer.Cost.telemetry(dataPoints: 1, records: 1)
        for _ in 0..<10 { pacer.record(cost, at: 0) }
        pacer.update(limits: try limits(telemetry: "10:1"), publishRate: 0)
        XCTAssertEqual(pacer.earliest(cost, now: 0.2), TelemetryPacer.margin(1))
    }

    func testALongBacklogIsForgottenAsItLeavesTheLongestWindow() throws {
        var pacer = TelemetryPacer(limits: try limits(telemetry: "1000:1,100000:60"), publishRate: 0)
        let cost = TelemetryPacer.Cost.telemetry(dataPoints: 1, records: 1)
        var now = 0.0
        for _ in 0..<20_000 {
            now = try XCTUnwrap(pacer.earliest(cost, now: now))
            pacer.record(cost, at: now)
        }
        XCTAssertEqual(pacer.usage(now: now).first, 1000, "the one-second window is full, never more")
        XCTAssertLessThanOrEqual(pacer.usage(now: now)[1], 100_000)
    }
}
