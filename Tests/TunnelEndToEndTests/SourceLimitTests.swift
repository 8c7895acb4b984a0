import Foundation
import NIOCore
import NIOPosix
import SharedWire
import TunnelHarness
import TunnelRelay
import TunnelTransport
import XCTest

/// What one address may take of the relay, and the relay's graceful stop.
final class SourceLimitTests: XCTestCase {
    func testLimiterRulesWithTimeGiven() {
        var limiter = SourceLimiter(
            configuration: .init(maxConnectionsPerSource: 2, maxAuthFailuresPerSource: 2, failureWindow: .seconds(60)))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        XCTAssertEqual(limiter.connectionOpened(from: "10.0.0.1", now: start), .allowed)
        XCTAssertEqual(limiter.connectionOpened(from: "10.0.0.1", now: start), .allowed)
        guard case .refused = limiter.connectionOpened(from: "10.0.0.1", now: start) else { return XCTFail("third connection") }
        XCTAssertEqual(limiter.connectionOpened(from: "10.0.0.2", now: start), .allowed, "other addresses are not affected")
        limiter.connectionClosed(from: "10.0.0.1")
        XCTAssertEqual(limiter.connectionOpened(from: "10.0.0.1", now: start), .allowed, "a closed connection frees its place")
        limiter.authenticationFailed(from: "10.0.0.3", now: start)
        limiter.authenticationFailed(from: "10.0.0.3", now: start + .seconds(1))
        guard case .refused(let reason) = limiter.connectionOpened(from: "10.0.0.3", now: start + .seconds(2)) else {
            return XCTFail("locked out after two failures")
        }
        XCTAssertTrue(reason.contains("failed authentications"), reason)
        XCTAssertEqual(limiter.connectionOpened(from: "10.0.0.3", now: start + .seconds(62)), .allowed, "the window passes")
    }

    func testSourcesThatFailedOnceAndLeftAreForgotten() {
        var limiter = SourceLimiter(configuration: .init(failureWindow: .seconds(60), maxTrackedSources: 2_000))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        for host in 0..<1_000 { limiter.authenticationFailed(from: "2001:db8::\(host)", now: start) }
        XCTAssertEqual(limiter.trackedSources, 1_000)
        // A window later, the next connection from anywhere sweeps the sources that never came back.
        XCTAssertEqual(limiter.connectionOpened(from: "10.0.0.9", now: start + .seconds(61)), .allowed)
        XCTAssertEqual(limiter.trackedSources, 1, "only the open connection's source")
        limiter.connectionClosed(from: "10.0.0.9")
        XCTAssertEqual(limiter.trackedSources, 0)

        // Within one window, past the bound: the stalest source goes first.
        var small = SourceLimiter(configuration: .init(maxAuthFailuresPerSource: 2, failureWindow: .seconds(60), maxTrackedSources: 100))
        for host in 0..<500 { small.authenticationFailed(from: "2001:db8::\(host)", now: start + .milliseconds(Int64(host))) }
        XCTAssertEqual(small.trackedSources, 100)
        small.authenticationFailed(from: "2001:db8::499", now: start + .seconds(1))
        guard case .refused = small.connectionOpened(from: "2001:db8::499", now: start + .seconds(2)) else {
            return XCTFail("the newest source is still locked out")
        }
    }

    func testConnectionFloodFromOneAddressIsCappedWhileAgentsKeepWorking() async throws {
        let deployment = try await LocalDeployment.start(sourceLimits: .init(maxConnectionsPerSource: 8))
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)  // holds 1 of the 8
        var flood: [any Channel] = []
        for _ in 0..<12 {  // plain TCP, never a TLS handshake: half-open from the relay's view
            flood.append(
                try await ClientBootstrap(group: deployment.clientGroup)
                    .connect(host: "127.0.0.1", port: deployment.relayAddress.port).get())
        }
        let connections = flood
        try await waitUntil("the relay closed the connections over the limit") {
            connections.filter { !$0.isActive }.count == 5
        }
        XCTAssertNotNil(deployment.relay.agents.entry(deviceID: "pack-1"), "the agent kept its connection")
        for channel in flood { try? await channel.close() }
        // Once the flood is gone its places are free again: a client gets in.
        var connected: (channel: any Channel, collector: MessageCollector)?
        for _ in 0..<50 where connected == nil {
            let token = try await deployment.openSession(deviceID: "pack-1")
            let collector = MessageCollector()
            if let (channel, _) = try? await deployment.dialClient(credential: "\(token)", makeHandler: { collector }) {
                connected = (channel, collector)
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let client = try XCTUnwrap(connected, "a client gets in once the flood is gone")
        try await client.collector.waitUntilConnected()
        try await client.channel.close()
        await bms.close()
        await deployment.stop()
    }

    func testRepeatedBadTokensLockTheAddressOut() async throws {
        let deployment = try await LocalDeployment.start(sourceLimits: .init(maxAuthFailuresPerSource: 3))
        for _ in 0..<3 {
            do {
                _ = try await deployment.dialClient(credential: "\(SessionToken.generate())") { MessageCollector() }
                XCTFail("an unknown token is refused")
            } catch let refusal as RelayRefusal {
                XCTAssertEqual(refusal.code, .tokenUnknown)
            }
        }
        let good = try await deployment.openSession(deviceID: "pack-1")
        do {
            _ = try await deployment.dialClient(credential: "\(good)") { MessageCollector() }
            XCTFail("the address is locked out after three failures, even with a good token")
        } catch {
            XCTAssertFalse(error is RelayRefusal, "closed before TLS, not refused after it: \(error)")
        }
        await deployment.stop()
    }

    func testStoppingTheRelayLetsRunningSessionsFinishWithinTheGrace() async throws {
        let deployment = try await LocalDeployment.start(shutdownGrace: .seconds(30))
        let bms = try await SerialEnd.makePTY(group: deployment.clientGroup)
        try await deployment.startAgent(deviceID: "pack-1", serialDevice: bms.devicePath)
        let client = MessageCollector()
        let (channel, _) = try await deployment.dialClient(credential: "\(try await deployment.openSession(deviceID: "pack-1"))") { client }
        try await client.waitUntilConnected()

        let stopping = Task { await deployment.stopRelay() }
        try await waitUntil("the agent was told to go") { deployment.relay.agents.count == 0 }
        // The session still carries bytes during the grace period.
        try await bms.write("CV1,0000187B,FF83,,,,,,,,,C4\r\n")
        try await waitUntil("bytes still flow during the grace period") { client.serialBytes.count == 30 }
        XCTAssertFalse(client.closed)
        try await channel.close()  // the engineer finishes; the relay completes its stop at once
        let started = ContinuousClock.now
        await stopping.value
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10), "the relay did not wait out the whole grace")
        await bms.close()
        await deployment.stop()
    }
}
