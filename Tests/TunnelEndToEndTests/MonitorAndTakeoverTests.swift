import BMSSimulator
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import SharedWire
import TunnelHarness
import XCTest

/// Read-only monitor sessions, exclusive control and an administrator's takeover.
final class MonitorAndTakeoverTests: XCTestCase {
    func testMonitorRequestsThatChangeStateNeverReachTheBMS() async throws {
        let deployment = try await LocalDeployment.start()
        let folder = try temporaryFolder()
        let journal = folder + "/journal.jsonl"
        let simulator = SimulatorServer(
            configuration: SimulatorConfiguration(endpoint: .pty(link: folder + "/bms.pty"), broadcastPeriods: [:], journalPath: journal),
            logger: Logger(label: "sim"), ready: { _ in })
        let simulatorGroup = ServiceGroup(configuration: .init(services: [simulator], logger: Logger(label: "sim")))
        let simulatorTask = Task { try await simulatorGroup.run() }
        try await waitUntil("the simulator's PTY exists") { FileManager.default.fileExists(atPath: folder + "/bms.pty") }
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: folder + "/bms.pty")

        let token = try await deployment.openSession(deviceID: "pack-1", mode: .monitor)
        let monitor = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(token)") { monitor }
        try await monitor.waitUntilConnected()
        let writes = [
            G1Sentence(name: "FD1", fields: ["?"]), G1Sentence(name: "PW2", fields: ["1234"]),
            G1Sentence(name: "CF2", fields: ["0001", "0190"]), G1Sentence(name: "SS1", fields: ["c"]),
        ].map(\.line).joined()
        try await channel.writeAndFlush(TunnelMessage.serialData(ByteBuffer(string: writes + "garbage\r\n")))
        try await channel.writeAndFlush(TunnelMessage.serialControl(.setBaudRate(9_600)))
        try await channel.writeAndFlush(TunnelMessage.serialData(ByteBuffer(string: "CV1,?,78\r\n")))

        try await waitUntil("the monitor's read is answered") {
            String(decoding: monitor.serialBytes, as: UTF8.self).contains("CV1,")
        }
        let received = try String(contentsOfFile: journal, encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(received.count, 1, "only the read reached the simulator: \(received)")
        XCTAssertTrue(received.first?.contains("CV1,?,78") == true, "\(received)")
        try await waitUntil("the monitor's serial control is answered") {
            monitor.messages.contains { if case .serialControlResult = $0 { true } else { false } }
        }
        let answer = monitor.messages.compactMap { if case .serialControlResult(let r) = $0 { r } else { nil } }.first
        XCTAssertEqual(
            answer, SerialControlResult(operation: .setBaudRate, value: 0, status: .unsupported),
            "never applied: refused by the relay, which cannot read the port (PROTOCOL.md 8.5)")

        try await channel.close()
        await deployment.stop()
        await simulatorGroup.triggerGracefulShutdown()
        _ = try? await simulatorTask.value
    }

    func testMonitorsWatchTheBMSWhileAControlSessionRuns() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        let agent = try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let control = MessageCollector()
        let (controlChannel, _) = try await deployment.dialClient(
            credential: "\(try await deployment.openSession(deviceID: "pack-1", user: "alice"))"
        ) { control }
        try await control.waitUntilConnected()
        var monitors: [(MessageCollector, any Channel)] = []
        for _ in 0..<2 {
            let monitor = MessageCollector()
            let token = try await deployment.openSession(deviceID: "pack-1", mode: .monitor, user: "bob")
            let (channel, _) = try await deployment.dialClient(credential: "\(token)") { monitor }
            try await monitor.waitUntilConnected()
            monitors.append((monitor, channel))
        }
        try await waitUntil("one port, three sessions") { agent.sessions.count == 3 }

        try await controlChannel.writeAndFlush(TunnelMessage.serialData(ByteBuffer(string: "BV1,?,4F\r\n")))
        let request = try await bms.collector.wait(forCount: 10)
        XCTAssertEqual(String(decoding: request, as: UTF8.self), "BV1,?,4F\r\n")
        try await bms.write("BV1,10,BF,C1,BF,0000187B,,AA\r\n")
        for collector in [control] + monitors.map(\.0) {
            try await waitUntil("every session sees the BMS's answer") {
                String(decoding: collector.serialBytes, as: UTF8.self) == "BV1,10,BF,C1,BF,0000187B,,AA\r\n"
            }
        }
        XCTAssertFalse(
            String(decoding: monitors[0].0.serialBytes, as: UTF8.self).contains("?"),
            "monitors see the BMS's side, not the control client's requests")

        try await controlChannel.close()
        for (_, channel) in monitors { try await channel.close() }
        await bms.close()
        await deployment.stop()
    }

    func testSecondControlIsRefusedWithTheHolderAndAnAdministratorTakesOver() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let alice = MessageCollector()
        _ = try await deployment.dialClient(
            credential: "\(try await deployment.openSession(deviceID: "pack-1", user: "alice"))"
        ) { alice }
        try await alice.waitUntilConnected()

        let carol = MessageCollector()
        _ = try await deployment.dialClient(
            credential: "\(try await deployment.openSession(deviceID: "pack-1", user: "carol"))"
        ) { carol }
        try await carol.waitUntilClosed()
        XCTAssertEqual(carol.goingAway?.code, .serialBusy)
        XCTAssertTrue(
            carol.goingAway?.message.contains("alice") == true && carol.goingAway?.message.contains("since") == true,
            "the refusal says who holds the device and since when: \(String(describing: carol.goingAway))")

        let admin = MessageCollector()
        let (adminChannel, _) = try await deployment.dialClient(
            credential: "\(try await deployment.openSession(deviceID: "pack-1", user: "admin", takeOver: true))"
        ) { admin }
        try await alice.waitUntilClosed()
        XCTAssertEqual(alice.goingAway?.code, .sessionTakenOver)
        XCTAssertTrue(alice.goingAway?.message.contains("admin") == true, "\(String(describing: alice.goingAway))")
        try await admin.waitUntilConnected()
        bms.collector.reset()
        try await adminChannel.writeAndFlush(TunnelMessage.serialData(ByteBuffer(string: "CV1,?,78\r\n")))
        let atBMS = try await bms.collector.wait(forCount: 10)
        XCTAssertEqual(String(decoding: atBMS, as: UTF8.self), "CV1,?,78\r\n", "the administrator's session has the port")

        try await adminChannel.close()
        await bms.close()
        await deployment.stop()
    }
}
