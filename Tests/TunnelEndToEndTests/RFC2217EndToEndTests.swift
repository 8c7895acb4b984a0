import Foundation
import NIOCore
import NIOPosix
import SharedWire
import TunnelHarness
import TunnelTransport
import XCTest

@testable import TunnelConnect

/// tunnel-connect's RFC 2217 endpoint through a real relay and agent: COM-PORT-OPTION
/// requests change the real port, answers carry what is in effect, bytes cross escaped.
/// (pyserial against the real programs: Tests/system/test_rfc2217.py.)
final class RFC2217EndToEndTests: XCTestCase {
    private let iac = Telnet.iac, sb = Telnet.sb, se = Telnet.se

    func testRequestsChangeTheRealPortAndAnswersComeBackInOrder() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let token = try await deployment.openSession(deviceID: "pack-1")
        let session = try EndpointSession(
            deployment: deployment, token: "\(token)", endpoint: RFC2217Endpoint(address: RelayAddress(host: "127.0.0.1", port: 0)))
        try await session.waitUntilConnected()
        let port = try XCTUnwrap(session.localPort, "\(session.status)")
        XCTAssertTrue(session.status.contains { $0.contains("rfc2217://127.0.0.1:\(port)") }, "\(session.status)")

        let panel = ByteCollector()
        let connection = try await ClientBootstrap(group: deployment.clientGroup)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(panel) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        var request = ByteBuffer(bytes: [iac, TelnetVerb.will.rawValue, 44])
        request.writeComPortCommand(ComPortCommand.setBaudRate.rawValue, value: [0, 0, 0x25, 0x80])
        request.writeTelnetData(ByteBuffer(bytes: Array("CV1,?,78".utf8) + [0xFF, 0x0D, 0x0A]))
        request.writeComPortCommand(ComPortCommand.setStopSize.rawValue, value: [2])
        request.writeComPortCommand(ComPortCommand.setParity.rawValue, value: [3])
        try await connection.writeAndFlush(request)

        let atBMS = try await bms.collector.wait(forCount: 11)
        XCTAssertEqual(atBMS, Array("CV1,?,78".utf8) + [0xFF, 0x0D, 0x0A], "data unescaped, unchanged")
        let baud = answer(.baudRate(9_600))
        let stop = answer(.stopSize(.two))
        let parity = answer(.parity(.none))
        try await waitUntil("three answers arrived (\(panel.received))") {
            [baud, stop, parity].allSatisfy { panel.received.firstRange(of: $0) != nil }
        }
        let positions = [baud, stop, parity].map { panel.received.firstRange(of: $0)!.lowerBound }
        XCTAssertEqual(positions, positions.sorted(), "answers in the order asked")
        let inEffect = try bms.pty!.slaveParameters()
        XCTAssertEqual(inEffect.baudRate, 9_600)
        XCTAssertEqual(inEffect.stopBits, .two)
        XCTAssertEqual(inEffect.parity, .none, "a PTY keeps no parity; the answer said so")

        panel.reset()
        try await bms.write([0x41, 0xFF, 0x42])
        let back = try await panel.wait(forCount: 4)
        XCTAssertEqual(back, [0x41, 0xFF, 0xFF, 0x42], "0xFF doubled towards the client")

        try await connection.close()
        await session.stop()
        await bms.close()
        await deployment.stop()
    }

    private func answer(_ answer: ComPortAnswer) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeComPortAnswer(answer)
        return Array(buffer.readableBytesView)
    }
}
