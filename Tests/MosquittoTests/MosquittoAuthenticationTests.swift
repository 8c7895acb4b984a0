import Mosquitto
import TunnelHarness
import XCTest

/// User name and password against a broker with a password file.
final class MosquittoAuthenticationTests: XCTestCase {
    func testTheRightPasswordIsAccepted() async throws {
        let broker = try await startBroker(.init(users: ["device-1": "right secret"]))
        let client = try MosquittoClient(options: .init(port: broker.port, username: "device-1", password: "right secret"))
        let log = EventLog.recording(client)
        try client.start()
        try await log.next("CONNACK 0") { $0.isAccepted }
        client.stop()
    }

    func testAWrongPasswordIsAPermanentRefusalThatLibmosquittoKeepsRetrying() async throws {
        let broker = try await startBroker(.init(users: ["device-1": "right secret"]))
        let client = try MosquittoClient(
            options: .init(
                port: broker.port, username: "device-1", password: "wrong", reconnectDelayMin: 1, reconnectDelayMax: 1))
        let log = EventLog.recording(client)
        try client.start()
        let refusal = try await log.next("CONNACK refusal") { if case .connected = $0 { true } else { false } }
        guard case .connected(let code, let reason) = refusal else { return XCTFail("\(refusal)") }
        XCTAssertTrue(code == 4 || code == 5, "CONNACK \(code)")
        XCTAssertTrue(reason.hasPrefix("Connection Refused: "), reason)
        XCTAssertTrue(refusal.isPermanentRefusal)
        // libmosquitto does not give up on its own: the caller has to stop.
        try await log.next("a second refusal") { $0.isPermanentRefusal }
        client.stop()
    }

    func testNoCredentialsAreRefusedWhenThePasswordFileIsOn() async throws {
        let broker = try await startBroker(.init(users: ["device-1": "right secret"]))
        let client = try MosquittoClient(options: .init(port: broker.port))
        let log = EventLog.recording(client)
        try client.start()
        let refusal = try await log.next("CONNACK refusal") { if case .connected = $0 { true } else { false } }
        XCTAssertTrue(refusal.isPermanentRefusal, "\(refusal)")
        client.stop()
    }

    func testServerUnavailableIsNotAPermanentRefusal() {
        XCTAssertFalse(MosquittoEvent.connected(code: 3, reason: "Connection Refused: broker unavailable.").isPermanentRefusal)
        XCTAssertFalse(MosquittoEvent.connected(code: 0, reason: "Connection Accepted.").isPermanentRefusal)
        XCTAssertEqual([1, 2, 3, 4, 5].map { MosquittoEvent.isPermanentRefusal(connackCode: $0) }, [false, true, false, true, true])
    }
}
