import Foundation
import NIOCore
import SharedWire
import TunnelHarness
import TunnelRelay
import XCTest

/// The relay itself refuses a monitor session's serial control operations: an agent that
/// would obey them (here a raw agent that takes whatever it is sent) never sees one.
final class MonitorControlRefusalTests: XCTestCase {
    func testRelayAnswersMonitorSerialControlItselfAndTheAgentNeverSeesIt() async throws {
        let deployment = try await LocalDeployment.start()
        // A raw agent with pack-1's certificate: it does what a careless third-party agent would.
        let agentControl = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS(deviceID: "pack-1"))
        try await agentControl.send(.hello(.init(role: .agentControl, software: "obedient-agent")))
        try await waitUntil("the relay welcomed the agent") { deployment.relay.agents.entry(deviceID: "pack-1") != nil }

        let token = try await deployment.openSession(deviceID: "pack-1", mode: .monitor)
        let client = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(token)") { client }
        try await waitUntil("the relay asked the agent to open the session") {
            agentControl.messages.messages.contains { if case .openSession = $0 { true } else { false } }
        }
        let agentData = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS(deviceID: "pack-1"))
        try await agentData.send(.hello(.init(role: .agentData, software: "obedient-agent", sessionID: token.sessionID)))
        try await client.waitUntilConnected()

        let requests: [SerialControl] = [.setBaudRate(9_600), .queryState, .setDTR(true), .sendBreak(milliseconds: 100), .purge(.both)]
        for request in requests { channel.write(TunnelMessage.serialControl(request), promise: nil) }
        channel.flush()
        try await waitUntil("the query reached the agent") { Self.controls(agentData).count == 1 }
        // What reached the agent: only the one operation that changes nothing.
        XCTAssertEqual(Self.controls(agentData), [.queryState])
        XCTAssertEqual(Self.results(client).map(\.operation), [.setBaudRate], "answered at once, up to the query still out")
        try await agentData.send(.serialControlResult(.init(operation: .queryState, value: 0x30, status: .applied)))
        try await waitUntil("every request was answered") { Self.results(client).count == requests.count }
        XCTAssertEqual(
            Self.results(client),
            [
                SerialControlResult(operation: .setBaudRate, value: 0, status: .unsupported),
                SerialControlResult(operation: .queryState, value: 0x30, status: .applied),
                SerialControlResult(operation: .setDTR, value: 1, status: .unsupported),
                SerialControlResult(operation: .sendBreak, value: 100, status: .unsupported),
                SerialControlResult(operation: .purge, value: 3, status: .unsupported),
            ], "in the order asked")
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(Self.controls(agentData), [.queryState], "nothing else arrived later")
        XCTAssertFalse(client.closed, "a refusal does not end the session")

        try await waitUntil("the refusal is audited") {
            try await deployment.store.auditEntries(AuditQuery(deviceID: "pack-1")).contains { $0.event == .serialControlRefused }
        }
        let audited = try await deployment.store.auditEntries(AuditQuery(deviceID: "pack-1")).filter { $0.event == .serialControlRefused }
        XCTAssertEqual(audited.count, 1, "once per session; every refusal is logged")
        XCTAssertEqual(audited.first?.sessionID, token.sessionID)

        try await channel.close()
        await deployment.stop()
    }

    func testAMonitorThatFloodsUnansweredQueriesIsClosed() async throws {
        let deployment = try await LocalDeployment.start()
        let agentControl = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS(deviceID: "pack-1"))
        try await agentControl.send(.hello(.init(role: .agentControl, software: "silent-agent")))
        try await waitUntil("the relay welcomed the agent") { deployment.relay.agents.entry(deviceID: "pack-1") != nil }
        let token = try await deployment.openSession(deviceID: "pack-1", mode: .monitor)
        let client = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(token)") { client }
        let agentData = try await RawConnection.open(to: deployment, tls: try deployment.clientTLS(deviceID: "pack-1"))
        try await waitUntil("the relay asked the agent to open the session") {
            agentControl.messages.messages.contains { if case .openSession = $0 { true } else { false } }
        }
        try await agentData.send(.hello(.init(role: .agentData, software: "silent-agent", sessionID: token.sessionID)))
        try await client.waitUntilConnected()

        // The agent never answers; each refusal behind the first query waits for it.
        for _ in 0...RelayLimits.maxPendingMonitorControls {
            channel.write(TunnelMessage.serialControl(.queryState), promise: nil)
            channel.write(TunnelMessage.serialControl(.setRTS(true)), promise: nil)
        }
        channel.flush()
        try await client.waitUntilClosed()
        XCTAssertEqual(client.goingAway?.code, .limitReached, "\(String(describing: client.goingAway))")
        await deployment.stop()
    }

    private static func controls(_ connection: RawConnection) -> [SerialControl] {
        connection.messages.messages.compactMap { if case .serialControl(let control) = $0 { control } else { nil } }
    }

    private static func results(_ client: MessageCollector) -> [SerialControlResult] {
        client.messages.compactMap { if case .serialControlResult(let result) = $0 { result } else { nil } }
    }
}
