import Foundation
import NIOCore
import SharedWire
import XCTest

@testable import TunnelRelay

/// The relay's connection rules, one input at a time: every state, every role, every answer
/// from the store and the broker, the timer, and what an end leaves to do. The partner is a
/// name, so the tests read which connection a frame goes to.
final class RelayConnectionTests: XCTestCase {
    typealias Connection = RelayConnection<String>

    private let token = SessionToken(sessionID: "5e55105", secret: "c2VjcmV0LXNlY3JldC1zZWNyZXQ")
    private let agentHello = TunnelMessage.hello(.init(role: .agentControl, software: "tunnel-agent/2.0"))

    private func session(_ mode: TunnelMessage.SessionMode = .control) -> SessionRecord {
        SessionRecord(
            id: "5e55105", deviceID: "pack-1", mode: mode, createdBy: "eve", createdAt: Date(timeIntervalSince1970: 0),
            expiresAt: Date(timeIntervalSince1970: 60), tokenHash: token.secretHash)
    }

    private func device(revoked: Bool = false, pending: String = "") -> DeviceRecord {
        DeviceRecord(
            id: "pack-1", customer: "acme", createdAt: Date(), revokedAt: revoked ? Date() : nil, certificateSerial: "11",
            pendingCertificateSerial: pending)
    }

    private func refusal(_ code: TunnelErrorCode, _ message: String) -> Connection.Action {
        .refuse(.init(code: code, message: message))
    }

    /// A client connection whose token was claimed, waiting for its agent.
    private func waitingClient(_ mode: TunnelMessage.SessionMode = .control) -> Connection {
        var connection = Connection()
        connection.tlsHandshakeCompleted()
        _ = connection.received(.hello(.init(role: .client, software: "tunnel-connect/2.0", credential: token.description)))
        XCTAssertEqual(connection.sessionClaimed(.success(.claimed(session(mode)))), .acceptClient(session(mode)))
        return connection
    }

    /// An agent's admitted control connection.
    private func agentControl() -> Connection {
        var connection = Connection()
        _ = connection.received(agentHello)
        _ = connection.agentLookedUp(deviceID: "pack-1", serial: "11", lookup: .success(device()))
        return connection
    }

    // MARK: - HELLO

    func testTheFirstFrameMustBeAValidHello() {
        var connection = Connection()
        let action = connection.received(.ping(1))
        XCTAssertEqual(action, refusal(.unexpectedFrame, "the first frame must be HELLO, got ping"))
        guard case .refuse(let refused) = action else { return XCTFail("\(action)") }
        XCTAssertFalse(refused.countsAgainstSource, "a protocol mistake is not a failed authentication")

        var badID = Connection()
        let bad = badID.received(.hello(.init(role: .agentData, software: "tunnel-agent/2.0", sessionID: "../etc")))
        guard case .refuse(let idRefusal) = bad else { return XCTFail("\(bad)") }
        XCTAssertEqual(idRefusal.code, .invalidIdentifier)
    }

    func testAFrameBeforeTheRelayAnsweredIsRefused() {
        var connection = Connection()
        XCTAssertEqual(connection.received(agentHello), .authenticateAgent)
        XCTAssertEqual(
            connection.received(.serialData(ByteBuffer(string: "x"))),
            refusal(.unexpectedFrame, "serialData sent before the relay answered HELLO"))
    }

    // MARK: - Clients

    func testAClientTokenIsClaimedOnceAndEachRefusalCounts() {
        var malformed = Connection()
        let action = malformed.received(.hello(.init(role: .client, software: "tunnel-connect/2.0", credential: "nope")))
        XCTAssertEqual(action, refusal(.tokenUnknown, "the session token is not of the form st1.<id>.<secret>"))
        guard case .refuse(let refused) = action else { return XCTFail("\(action)") }
        XCTAssertTrue(refused.countsAgainstSource)

        let answers: [(SessionClaim, TunnelErrorCode)] = [(.unknown, .tokenUnknown), (.expired, .tokenExpired), (.used, .tokenUsed)]
        for (claim, code) in answers {
            var connection = Connection()
            XCTAssertEqual(
                connection.received(.hello(.init(role: .client, software: "tunnel-connect/2.0", credential: token.description))),
                .claimSession(token))
            let answer = connection.sessionClaimed(.success(claim))
            guard case .refuse(let refused) = answer else { return XCTFail("\(answer)") }
            XCTAssertEqual(refused.code, code)
            XCTAssertTrue(refused.countsAgainstSource)
        }
        struct Down: Error {}
        var storeDown = Connection()
        _ = storeDown.received(.hello(.init(role: .client, software: "tunnel-connect/2.0", credential: token.description)))
        XCTAssertEqual(storeDown.sessionClaimed(.failure(Down())), refusal(.authenticationFailed, "session lookup failed: Down()"))
    }

    func testAWaitingClientDropsDataAndEndsItsSessionOnClose() {
        var connection = waitingClient()
        XCTAssertEqual(connection.received(.serialData(ByteBuffer(string: "CV1,?,78\r\n"))), .dropBeforePairing(.serialData))
        XCTAssertEqual(connection.received(.goingAway(.init(code: .normal, message: "bye"))), .close)
        XCTAssertEqual(connection.closed(), .sessionSideEnded(sessionID: "5e55105", side: .client, bytes: 0, reason: "bye"))
        XCTAssertEqual(connection.closed(), Connection.Action.none, "an end is acted on once")
    }

    func testTheBrokerRefusingAClientLeavesNothingToEnd() {
        var connection = waitingClient()
        XCTAssertEqual(
            connection.clientRefused(.init(code: .serialBusy, message: "device pack-1 has a control session starting")),
            refusal(.serialBusy, "device pack-1 has a control session starting"))
        XCTAssertEqual(connection.closed(), Connection.Action.none, "the broker recorded the session's end itself")
    }

    func testAPairedClientForwardsAndCountsItsBytes() {
        var connection = waitingClient()
        XCTAssertEqual(connection.paired(with: "agent"), .startSession(session(), monitor: false))
        XCTAssertEqual(connection.partner, "agent")
        let data = ByteBuffer(string: "PW2,1234,\r\n")
        XCTAssertEqual(connection.received(.serialData(data)), .forward(.serialData(data), to: "agent", capture: .toDevice))
        XCTAssertEqual(
            connection.received(.serialControl(.setBaudRate(57_600))),
            .forward(.serialControl(.setBaudRate(57_600)), to: "agent", capture: nil))
        XCTAssertEqual(
            connection.received(.serialState(.init(lineState: 0, modemState: 0))),
            refusal(.unexpectedFrame, "serialState from the client side is not allowed on a session's data connection"))
        XCTAssertEqual(connection.bytesDelivered, 11)
        XCTAssertEqual(
            connection.closed(),
            .sessionSideEnded(
                sessionID: "5e55105", side: .client, bytes: 11,
                reason: "serialState from the client side is not allowed on a session's data connection"))
    }

    func testAMonitorClientSendsOnlyReads() {
        var connection = waitingClient(.monitor)
        XCTAssertEqual(connection.paired(with: "agent"), .startSession(session(.monitor), monitor: true))
        let write = G1Sentence(name: "PW2", fields: ["1234"]).line
        let read = "CV1,?,78\r\n"
        let action = connection.received(.serialData(ByteBuffer(string: write + read)))
        guard case .forwardMonitored(let allowed, let dropped, let partner) = action else { return XCTFail("\(action)") }
        XCTAssertEqual(allowed.map { String(buffer: $0) }, read)
        XCTAssertEqual(dropped.map(\.line), [String(write.dropLast())])
        XCTAssertEqual(partner, "agent")
        XCTAssertEqual(connection.bytesDelivered, UInt64(read.utf8.count), "only what reached the device counts")

        let onlyWrite = connection.received(.serialData(ByteBuffer(string: write)))
        guard case .forwardMonitored(nil, let droppedAgain, _) = onlyWrite else { return XCTFail("\(onlyWrite)") }
        XCTAssertEqual(droppedAgain.count, 1)
    }

    func testPairingReachesOnlyAWaitingClient() {
        var agent = agentControl()
        XCTAssertEqual(agent.paired(with: "x"), Connection.Action.none)
        var fresh = Connection()
        XCTAssertEqual(fresh.paired(with: "x"), Connection.Action.none)
    }

    // MARK: - Agents

    func testAnAgentIsAdmittedByItsDeviceRecord() {
        struct Down: Error {}
        let cases: [(Result<DeviceRecord?, any Error>, Connection.Action)] = [
            (
                .success(nil),
                .refuseAgent(deviceID: "pack-1", .init(code: .deviceUnknown, message: "device pack-1 is not registered with this relay"))
            ),
            (
                .success(device(revoked: true)),
                .refuseAgent(deviceID: "pack-1", .init(code: .deviceRevoked, message: "device pack-1 has been revoked"))
            ),
            (.failure(Down()), refusal(.authenticationFailed, "device lookup failed: Down()")),
            (.success(device()), .acceptAgentControl(deviceID: "pack-1", software: "tunnel-agent/2.0", promoteSerial: nil)),
        ]
        for (lookup, expected) in cases {
            var connection = Connection()
            XCTAssertEqual(connection.received(agentHello), .authenticateAgent)
            XCTAssertEqual(connection.agentLookedUp(deviceID: "pack-1", serial: "11", lookup: lookup), expected)
        }
        var renewed = Connection()
        _ = renewed.received(agentHello)
        XCTAssertEqual(
            renewed.agentLookedUp(deviceID: "pack-1", serial: "12", lookup: .success(device(pending: "12"))),
            .acceptAgentControl(deviceID: "pack-1", software: "tunnel-agent/2.0", promoteSerial: "12"),
            "the renewed certificate in use becomes the current one")

        var noCertificate = Connection()
        _ = noCertificate.received(agentHello)
        XCTAssertEqual(
            noCertificate.agentCertificateRefused("no client certificate"), refusal(.authenticationFailed, "no client certificate"))
    }

    func testTheControlConnectionCarriesOnlyControlFrames() {
        var connection = agentControl()
        let record = ByteBuffer(string: "{\"soc\":80}")
        XCTAssertEqual(connection.received(.telemetry(record)), .telemetry(deviceID: "pack-1", record))
        XCTAssertEqual(connection.received(.renewCertificate([0x30])), .renewCertificate([0x30], deviceID: "pack-1"))
        XCTAssertEqual(connection.received(.certificateInstalled("12")), .certificateInstalled(deviceID: "pack-1", serial: "12"))
        let long = String(repeating: "x", count: 5_000)
        let refused = connection.received(.closeSession(.init(sessionID: "5e55105", code: .serialBusy, message: long)))
        guard case .agentRefusedSession("5e55105", "pack-1", .serialBusy, let message) = refused else { return XCTFail("\(refused)") }
        XCTAssertLessThanOrEqual(message.utf8.count, AuditEntry.maxReasonBytes, "the agent's words are bounded before the audit log")
        let badID = connection.received(.closeSession(.init(sessionID: "../../x", code: .serialBusy, message: "")))
        guard case .refuse(let idRefusal) = badID else { return XCTFail("\(badID)") }
        XCTAssertEqual(idRefusal.code, .invalidIdentifier)
        XCTAssertEqual(connection.received(.telemetry(record)), Connection.Action.none, "nothing is acted on after a refusal")
        XCTAssertEqual(connection.closed(), .agentGone(deviceID: "pack-1"))

        var other = agentControl()
        XCTAssertEqual(
            other.received(.serialData(ByteBuffer(string: "x"))),
            refusal(.unexpectedFrame, "serialData is not allowed on an agent's control connection"))
    }

    func testTheNodeRolesAreTakenOnlyOnTheNodeListenerAndOnlyThey() {
        var onTunnel = Connection()
        XCTAssertEqual(
            onTunnel.received(.hello(.init(role: .nodeData, software: "tunnel-relay/2.0", sessionID: "5e55105", credential: "pack-1"))),
            refusal(.authenticationFailed, "HELLO role 5 is for links between relay nodes"))
        var agentOnNodes = Connection(listener: .nodes)
        XCTAssertEqual(
            agentOnNodes.received(.hello(.init(role: .agentControl, software: "tunnel-agent/2.0"))),
            refusal(.authenticationFailed, "the node listener takes only other relay nodes (HELLO roles 4 to 8)"))
        var badDevice = Connection(listener: .nodes)
        guard
            case .refuse(let bad) = badDevice.received(
                .hello(.init(role: .nodeOpen, software: "tunnel-relay/2.0", sessionID: "5e55105", credential: "../etc")))
        else { return XCTFail("a device ID that is not an identifier is refused") }
        XCTAssertEqual(bad.code, .invalidIdentifier)
        // A watch link names the session and the watching user, and takes nothing but GOING_AWAY.
        var watch = Connection(listener: .nodes)
        XCTAssertEqual(
            watch.received(.hello(.init(role: .nodeWatch, software: "tunnel-relay/2.0", sessionID: "5e55105", credential: "vic@x"))),
            .feedWatch(sessionID: "5e55105", user: "vic@x"))
        XCTAssertEqual(
            watch.received(.serialData(ByteBuffer(string: "x"))), refusal(.unexpectedFrame, "serialData is not allowed on a watch link"))
    }

    func testANodeCarriesAnAgentDataConnectionThatIsNotCarriedAgain() {
        var connection = Connection(listener: .nodes)
        XCTAssertEqual(
            connection.received(.hello(.init(role: .nodeData, software: "tunnel-relay/2.0", sessionID: "5e55105", credential: "pack-1"))),
            .joinSession(deviceID: "pack-1", sessionID: "5e55105", promoteSerial: nil, fromNode: true))
        XCTAssertEqual(connection.agentJoined(sessionID: "5e55105", .success("client")), .welcomeAgentData(sessionID: "5e55105"))
        let answer = ByteBuffer(string: "VR1,1,2,3,4,5,6,7,8,00\r\n")
        XCTAssertEqual(connection.received(.serialData(answer)), .forward(.serialData(answer), to: "client", capture: .fromDevice))
        XCTAssertEqual(
            connection.received(.serialControl(.setBaudRate(9_600))),
            refusal(.unexpectedFrame, "serialControl from the agent side is not allowed on a session's data connection"))
    }

    func testATelemetryLinkTakesNoFramesButGoingAway() {
        var connection = Connection(listener: .nodes)
        XCTAssertEqual(
            connection.received(.hello(.init(role: .nodeTelemetry, software: "tunnel-relay/2.0", credential: "pack-1"))),
            .feedTelemetry(deviceID: "pack-1"))
        XCTAssertEqual(
            connection.received(.serialData(ByteBuffer(string: "x"))),
            refusal(.unexpectedFrame, "serialData is not allowed on a telemetry link"))
        XCTAssertEqual(connection.closed(), .none)
    }

    func testANodeOpenIsWelcomedOnceCarriedOutAndRefusedWithTheReasonOtherwise() {
        var connection = Connection(listener: .nodes)
        XCTAssertEqual(
            connection.received(.hello(.init(role: .nodeOpen, software: "tunnel-relay/2.0", sessionID: "5e55105", credential: "pack-1"))),
            .openForNode(sessionID: "5e55105", deviceID: "pack-1"))
        XCTAssertEqual(connection.nodeOpenAnswered(sessionID: "5e55105", refusal: nil), .welcomeNodeAndClose(sessionID: "5e55105"))
        XCTAssertEqual(connection.closed(), .none, "a node's open leaves no session to end")
        var refused = Connection(listener: .nodes)
        _ = refused.received(.hello(.init(role: .nodeOpen, software: "tunnel-relay/2.0", sessionID: "5e55105", credential: "pack-1")))
        XCTAssertEqual(
            refused.nodeOpenAnswered(sessionID: "5e55105", refusal: .init(code: .agentOffline, message: "not here")),
            refusal(.agentOffline, "not here"))
    }

    func testAnAgentDataConnectionJoinsItsSession() {
        var connection = Connection()
        _ = connection.received(.hello(.init(role: .agentData, software: "tunnel-agent/2.0", sessionID: "5e55105")))
        XCTAssertEqual(
            connection.agentLookedUp(deviceID: "pack-1", serial: "11", lookup: .success(device())),
            .joinSession(deviceID: "pack-1", sessionID: "5e55105", promoteSerial: nil, fromNode: false))
        XCTAssertEqual(connection.agentJoined(sessionID: "5e55105", .success("client")), .welcomeAgentData(sessionID: "5e55105"))
        let answer = ByteBuffer(string: "CV1,3,3300,3310,3305,3320,0,0,2A\r\n")
        XCTAssertEqual(connection.received(.serialData(answer)), .forward(.serialData(answer), to: "client", capture: .fromDevice))
        let state = TunnelMessage.serialState(.init(lineState: 0x60, modemState: 0x30))
        XCTAssertEqual(connection.received(state), .forward(state, to: "client", capture: nil))
        XCTAssertEqual(
            connection.received(.serialControl(.setBaudRate(9_600))),
            refusal(.unexpectedFrame, "serialControl from the agent side is not allowed on a session's data connection"))
        guard case .sessionSideEnded("5e55105", .agent, UInt64(answer.readableBytes), _) = connection.closed() else {
            return XCTFail("the agent side ends the session with its bytes")
        }

        var unknown = Connection()
        _ = unknown.received(.hello(.init(role: .agentData, software: "tunnel-agent/2.0", sessionID: "5e55105")))
        _ = unknown.agentLookedUp(deviceID: "pack-1", serial: "11", lookup: .success(device()))
        XCTAssertEqual(
            unknown.agentJoined(sessionID: "5e55105", .failure(TunnelProtocolError(.agentOffline, "no such session"))),
            refusal(.agentOffline, "no such session"))
    }

    // MARK: - Time and endings

    func testTheHandshakeTimer() {
        var noTLS = Connection()
        XCTAssertEqual(noTLS.handshakeTimedOut(), .cutUnfinishedTLS, "no GOING_AWAY can pass an unfinished TLS handshake")
        XCTAssertEqual(noTLS.endReason, "TLS handshake not finished within the handshake timeout")

        var silent = Connection()
        silent.tlsHandshakeCompleted()
        XCTAssertEqual(silent.handshakeTimedOut(), refusal(.handshakeTimeout, "no HELLO within the handshake timeout"))

        var slowStore = Connection()
        slowStore.tlsHandshakeCompleted()
        _ = slowStore.received(agentHello)
        XCTAssertEqual(slowStore.handshakeTimedOut(), refusal(.handshakeTimeout, "no HELLO within the handshake timeout"))
        XCTAssertEqual(
            slowStore.agentLookedUp(deviceID: "pack-1", serial: "11", lookup: .success(device())), Connection.Action.none,
            "a store answer after the timeout admits nothing")

        var admitted = agentControl()
        XCTAssertEqual(admitted.handshakeTimedOut(), Connection.Action.none)
    }

    func testAnAnswerAfterTheCloseIsIgnored() {
        var connection = Connection()
        _ = connection.received(.hello(.init(role: .client, software: "tunnel-connect/2.0", credential: token.description)))
        XCTAssertEqual(connection.closed(), Connection.Action.none)
        XCTAssertEqual(connection.sessionClaimed(.success(.claimed(session()))), Connection.Action.none)
    }

    func testAConnectionIsRefusedOnceAndKeepsItsFirstReason() {
        var connection = agentControl()
        XCTAssertEqual(connection.failed(.protocolError, "bad frame"), refusal(.protocolError, "bad frame"))
        XCTAssertEqual(connection.failed(.protocolError, "another"), Connection.Action.none)
        XCTAssertEqual(connection.endReason, "bad frame")
    }

    func testAGoingAwayWithoutWordsIsNamedByItsCode() {
        var connection = waitingClient()
        _ = connection.paired(with: "agent")
        XCTAssertEqual(connection.received(.goingAway(.init(code: .tokenExpired))), .close)
        XCTAssertEqual(connection.endReason, TunnelErrorCode.tokenExpired.summary)
    }
}
