import BMSSimulator
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import SharedWire
import TunnelHarness
import XCTest

/// Bytes through the whole tunnel: virtual serial port → tunnel-connect → TLS → relay → TLS →
/// agent → real serial device (a PTY) and back.
final class SessionDataTests: XCTestCase {
    func testOneMebibyteEachWayArrivesExactlyAndInOrder() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let token = try await deployment.openSession(deviceID: "pack-1")
        let client = try ConnectClient(deployment: deployment, token: "\(token)", linkPath: try temporaryFolder() + "/cp.port")
        try await client.waitUntilConnected()
        let panel = try await SerialEnd.open(path: client.linkPath, group: deployment.clientGroup)

        let upstream = randomBytes(1 << 20)
        try await panel.write(upstream)
        let atBMS = try await bms.collector.wait(forCount: upstream.count)
        XCTAssertEqual(atBMS.count, upstream.count, "no byte added")
        XCTAssertTrue(atBMS == upstream, "the BMS received exactly the bytes the Control Panel sent, in order")

        let downstream = randomBytes(1 << 20)
        try await bms.write(downstream)
        let atPanel = try await panel.collector.wait(forCount: downstream.count)
        XCTAssertEqual(atPanel.count, downstream.count, "no byte added")
        XCTAssertTrue(atPanel == downstream, "the Control Panel received exactly the bytes the BMS sent, in order")

        await panel.close()
        await client.stop()
        await bms.close()
        await deployment.stop()
    }

    func testHundredG1RequestsAreAnsweredCorrectlyBySimulator() async throws {
        let deployment = try await LocalDeployment.start()
        let folder = try temporaryFolder()
        let simulator = SimulatorServer(
            endpoint: .pty(link: folder + "/bms.pty"), pack: SimulatedPack(), broadcastPeriod: nil,
            logger: Logger(label: "sim"), ready: { _ in })
        let simulatorGroup = ServiceGroup(configuration: .init(services: [simulator], logger: Logger(label: "sim")))
        let simulatorTask = Task { try await simulatorGroup.run() }
        try await waitUntil("the simulator's PTY exists") { FileManager.default.fileExists(atPath: folder + "/bms.pty") }
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: folder + "/bms.pty")
        let token = try await deployment.openSession(deviceID: "pack-1")
        let client = try ConnectClient(deployment: deployment, token: "\(token)", linkPath: folder + "/cp.port")
        try await client.waitUntilConnected()
        let panel = try await SerialEnd.open(path: client.linkPath, group: deployment.clientGroup)

        let names = ["CV1", "BV1", "BC1", "BT1", "ST1", "VR1", "TD1"]
        for round in 0..<100 {
            let name = names[round % names.count]
            panel.collector.reset()
            try await panel.write(G1Sentence.request(name).line)
            let lines = try await panel.collector.wait(forLines: 1)
            XCTAssertEqual(lines.count, 1, "one answer line to \(name)")
            let answer = try G1Sentence(line: lines[0])  // throws on a bad CRC
            XCTAssertEqual(answer.name, name, "round \(round): the answer to \(name)")
            XCTAssertFalse(answer.isRequest)
        }

        await panel.close()
        await client.stop()
        await deployment.stop()
        await simulatorGroup.triggerGracefulShutdown()
        _ = try? await simulatorTask.value
    }
}
