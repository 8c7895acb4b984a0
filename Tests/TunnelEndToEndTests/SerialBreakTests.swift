import Foundation
import NIOCore
import SharedWire
import TunnelHarness
import XCTest

/// A BREAK holds the BMS line for a bounded time and never holds up the agent: other
/// sessions are answered and BMS bytes keep flowing while it lasts. (A Linux PTY takes
/// `TIOCSBRK`, so the break is real on the test's line.)
final class SerialBreakTests: XCTestCase {
    func testALongBreakIsTimedWhileOtherSessionsGoOn() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let control = MessageCollector()
        let (controlChannel, _) = try await deployment.dialClient(credential: "\(try await deployment.openSession(deviceID: "pack-1"))") {
            control
        }
        try await control.waitUntilConnected()
        let monitor = MessageCollector()
        let (monitorChannel, _) = try await deployment.dialClient(
            credential: "\(try await deployment.openSession(deviceID: "pack-1", mode: .monitor))"
        ) { monitor }
        try await monitor.waitUntilConnected()

        let start = ContinuousClock.now
        controlChannel.write(TunnelMessage.serialControl(.sendBreak(milliseconds: 2_000)), promise: nil)
        try await controlChannel.writeAndFlush(TunnelMessage.serialData(ByteBuffer(string: "after-break")))
        try await Task.sleep(for: .milliseconds(300))

        // During the break: the monitor's query is answered and BMS bytes reach it at once.
        let asked = ContinuousClock.now
        try await monitorChannel.writeAndFlush(TunnelMessage.serialControl(.queryState))
        try await bms.write("CV1,0000187B,FF83,,,,,,,,,C4\r\n")
        try await waitUntil("the monitor's query was answered", timeout: .seconds(1.5)) { Self.results(monitor).count == 1 }
        try await waitUntil("BMS bytes reached the monitor", timeout: .seconds(1.5)) { monitor.serialBytes.count == 30 }
        let during = ContinuousClock.now - asked
        XCTAssertLessThan(during, .milliseconds(1_000), "answered during the break, not after it")
        XCTAssertTrue(Self.results(control).isEmpty, "the break is still on")
        XCTAssertTrue(bms.collector.received.isEmpty, "bytes sent after the break wait for its end")

        try await waitUntil("the break ended", timeout: .seconds(5)) { Self.results(control).count == 1 }
        let held = ContinuousClock.now - start
        XCTAssertEqual(Self.results(control), [SerialControlResult(operation: .sendBreak, value: 2_000, status: .applied)])
        XCTAssertGreaterThanOrEqual(held, .milliseconds(1_900), "the line was held for the break")
        let after = try await bms.collector.wait(forCount: 11)
        XCTAssertEqual(String(decoding: after, as: UTF8.self), "after-break")

        try await controlChannel.close()
        try await monitorChannel.close()
        await bms.close()
        await deployment.stop()
    }

    func testABreakIsClampedToFiveSeconds() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let control = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(try await deployment.openSession(deviceID: "pack-1"))") {
            control
        }
        try await control.waitUntilConnected()

        let start = ContinuousClock.now
        try await channel.writeAndFlush(TunnelMessage.serialControl(.sendBreak(milliseconds: .max)))  // 49 days
        try await waitUntil("the break ended", timeout: .seconds(8)) { Self.results(control).count == 1 }
        let held = ContinuousClock.now - start
        XCTAssertEqual(Self.results(control), [SerialControlResult(operation: .sendBreak, value: 5_000, status: .applied)])
        XCTAssertGreaterThanOrEqual(held, .milliseconds(4_900))
        XCTAssertLessThan(held, .seconds(7))

        try await channel.close()
        await bms.close()
        await deployment.stop()
    }

    private static func results(_ client: MessageCollector) -> [SerialControlResult] {
        client.messages.compactMap { if case .serialControlResult(let result) = $0 { result } else { nil } }
    }
}
