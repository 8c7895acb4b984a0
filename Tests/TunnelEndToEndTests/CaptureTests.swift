import Foundation
import Logging
import NIOCore
import SharedWire
import TunnelHarness
import TunnelRelay
import TunnelTransport
import XCTest

/// A recorded session reads back as the exchange that happened.
final class CaptureTests: XCTestCase {
    func testTranscriptOfAScriptedSessionMatchesWhatWasSent() async throws {
        let deployment = try await LocalDeployment.start(captureSessions: true)
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let token = try await deployment.openSession(deviceID: "pack-1")
        let client = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(token)") { client }
        try await client.waitUntilConnected()

        let script = [("CV1,?,78", "CV1,0000187B,FF83,,,,,,,,,C4"), ("BC1,?,E1", "BC1,000464CE,00057E40,1F3E,18")]
        var expectedAnswers = ""
        for (request, answer) in script {
            bms.collector.reset()
            try await channel.writeAndFlush(TunnelMessage.serialData(ByteBuffer(string: request + "\r\n")))
            _ = try await bms.collector.wait(forCount: request.count + 2)
            // The answer comes back in two pieces, to show that lines are put back together.
            let bytes = Array((answer + "\r\n").utf8)
            try await bms.write(Array(bytes[..<7]))
            try await Task.sleep(for: .milliseconds(30))
            try await bms.write(Array(bytes[7...]))
            expectedAnswers += answer + "\r\n"
            let expected = expectedAnswers
            try await waitUntil("the answer arrived") { String(decoding: client.serialBytes, as: UTF8.self) == expected }
        }
        try await channel.close()
        let path = deployment.directory + "/captures/\(token.sessionID).jsonl"
        try await waitUntil("the capture is written") {
            ((try? SessionCapture.read(path: path)) ?? []).flatMap(\.lines).count == 4
        }

        let records = try SessionCapture.read(path: path)
        XCTAssertEqual(records.flatMap(\.lines), ["CV1,?,78", "CV1,0000187B,FF83,,,,,,,,,C4", "BC1,?,E1", "BC1,000464CE,00057E40,1F3E,18"])
        XCTAssertEqual(
            records.filter { $0.direction == .toDevice }.map(\.hex).joined(),
            Array("CV1,?,78\r\nBC1,?,E1\r\n".utf8).map { String(format: "%02x", $0) }.joined(),
            "every byte the client sent is in the capture")
        let transcript = CaptureTranscript.render(records)
        XCTAssertEqual(
            transcript.count, 6, "four sentences and the first chunk of each split answer:\n\(transcript.joined(separator: "\n"))")
        XCTAssertTrue(transcript[1].contains("line continues: CV1,000"), transcript[1])
        XCTAssertTrue(transcript.contains { $0.contains("→ BMS  CV1,?,78") && $0.contains("[CV1 request]") })
        XCTAssertTrue(transcript.contains { $0.contains("← BMS  CV1,0000187B") && $0.contains("62.67 V") && $0.contains("-12.5 A") })
        XCTAssertTrue(transcript.contains { $0.contains("← BMS  BC1,000464CE") && $0.contains("SOC 79.98 %") })

        await bms.close()
        await deployment.stop()
    }

    func testTunnelConnectRecordsItsSideOfTheSession() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let folder = try temporaryFolder()
        let capture = try SessionCapture.start(path: folder + "/local.jsonl", logger: Logger(label: "capture"))
        let client = try ConnectClient(
            deployment: deployment, token: "\(try await deployment.openSession(deviceID: "pack-1"))",
            linkPath: folder + "/cp.port", capture: capture)
        try await client.waitUntilConnected()
        let panel = try await SerialEnd.open(path: client.linkPath, group: deployment.clientGroup)
        try await panel.write("VR1,?,D7\r\n")
        _ = try await bms.collector.wait(forCount: 10)
        try await bms.write(G1Sentence(name: "VR1", fields: ["G1CU", "SIM00001", "2.4.1"]).line)
        _ = try await panel.collector.wait(forLines: 1)
        await panel.close()
        await client.stop()

        let transcript = CaptureTranscript.render(try SessionCapture.read(path: folder + "/local.jsonl"))
        XCTAssertEqual(transcript.count, 2, transcript.joined(separator: "\n"))
        XCTAssertTrue(transcript[0].contains("→ BMS  VR1,?,D7") && transcript[0].contains("[VR1 request]"), transcript[0])
        XCTAssertTrue(transcript[1].contains("← BMS  VR1,G1CU,SIM00001,2.4.1") && transcript[1].contains("firmware 2.4.1"), transcript[1])
        await bms.close()
        await deployment.stop()
    }
}
