import Foundation
import NIOCore
import SharedWire
import TunnelHarness
import XCTest

/// Line settings an application makes on tunnel-connect's virtual serial port reach the
/// real port at the BMS's end, and the bytes keep flowing.
final class PTYSettingsTests: XCTestCase {
    func testSpeedStopBitsAndFlowControlSetOnTheVirtualPortReachTheRealPort() async throws {
        let deployment = try await LocalDeployment.start()
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let token = try await deployment.openSession(deviceID: "pack-1")
        let link = try temporaryFolder() + "/ControlPanel.port"
        let client = try ConnectClient(deployment: deployment, token: "\(token)", linkPath: link)
        try await client.waitUntilConnected()
        let panel = try await ControlPanelPort.open(path: link, group: deployment.clientGroup)
        let atBMS: @Sendable () throws -> SerialParameters = { try bms.pty!.slaveParameters() }
        XCTAssertEqual(try atBMS(), SerialParameters(baudRate: 57_600))

        XCTAssertEqual(panel.port.apply(.setBaudRate(19_200)).status, .applied)
        try await waitUntil("the speed reached the BMS's end (\(try atBMS()))") { try atBMS().baudRate == 19_200 }
        XCTAssertEqual(panel.port.apply(.setStopBits(.two)).status, .applied)
        XCTAssertEqual(panel.port.apply(.setFlowControl(.hardware)).status, .applied)
        try await waitUntil("stop bits and flow control reached the BMS's end (\(try atBMS()))") {
            try atBMS() == SerialParameters(baudRate: 19_200, stopBits: .two, flowControl: .hardware)
        }
        // The virtual port is a Linux PTY too: it does not keep parity, so there is no change
        // to carry and the real port stays as it was.
        XCTAssertEqual(panel.port.apply(.setParity(.even)).status, .unsupported)

        try await panel.write("CV1,?,78\r\n")
        let request = try await bms.collector.wait(forCount: 10)
        XCTAssertEqual(String(decoding: request, as: UTF8.self), "CV1,?,78\r\n")
        try await bms.write("CV1,0000187B,FF83,,,,,,,,,C4\r\n")
        let answer = try await panel.collector.wait(forLines: 1)
        XCTAssertEqual(answer, ["CV1,0000187B,FF83,,,,,,,,,C4"])

        XCTAssertEqual(panel.port.apply(.setBaudRate(57_600)).status, .applied)
        try await waitUntil("the speed went back (\(try atBMS()))") { try atBMS().baudRate == 57_600 }
        XCTAssertEqual(try atBMS().stopBits, .two, "only the change is sent")

        await panel.close()
        await client.stop()
        await bms.close()
        await deployment.stop()
    }
}
