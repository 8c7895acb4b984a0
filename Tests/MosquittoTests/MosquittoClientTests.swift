import Mosquitto
import TunnelHarness
import XCTest

/// The client against a real mosquitto broker on loopback.
final class MosquittoClientTests: XCTestCase {
    func testReportsTheLibraryVersion() {
        XCTAssertTrue(MosquittoClient.libraryVersion.hasPrefix("2."), MosquittoClient.libraryVersion)
    }

    func testConnectsAndTheBrokerAccepts() async throws {
        let broker = try await startBroker()
        let client = try MosquittoClient(options: .init(port: broker.port, clientID: "connect-test"))
        let log = EventLog.recording(client)
        try client.start()
        let connack = try await log.next("CONNACK") { if case .connected = $0 { true } else { false } }
        XCTAssertEqual(connack, .connected(code: 0, reason: "Connection Accepted."))
        XCTAssertFalse(connack.isPermanentRefusal)
        client.stop()
        try await log.next("disconnect on request") { $0 == .disconnected(code: 0, reason: "disconnected on request") }
    }

    func testQoS1PublishIsAcknowledgedWithItsMessageID() async throws {
        let broker = try await startBroker()
        let client = try MosquittoClient(options: .init(port: broker.port))
        let log = EventLog.recording(client)
        try client.start()
        try await log.next("CONNACK 0") { $0.isAccepted }
        let first = try client.publish(topic: "v1/devices/me/telemetry", payload: #"{"soc":81.5}"#)
        let second = try client.publish(topic: "v1/devices/me/telemetry", payload: #"{"soc":81.6}"#)
        XCTAssertNotEqual(first, second)
        try await log.next("PUBACK \(first)") { $0 == .published(messageID: first) }
        try await log.next("PUBACK \(second)") { $0 == .published(messageID: second) }
        client.stop()
    }

    func testReceivesItsOwnMessageWithTheExactBytes() async throws {
        let broker = try await startBroker()
        let client = try MosquittoClient(options: .init(port: broker.port))
        let log = EventLog.recording(client)
        try client.start()
        try await log.next("CONNACK 0") { $0.isAccepted }
        let subscription = try client.subscribe("v1/devices/me/attributes", qos: 1)
        try await log.next("SUBACK") { $0 == .subscribed(messageID: subscription, grantedQoS: [1]) }
        let payload = Array(UInt8.min...UInt8.max) + [0, 0, 0xFF]
        try client.publish(topic: "v1/devices/me/attributes", payload: payload, qos: 1)
        try await log.next("own message back") { $0 == .message(topic: "v1/devices/me/attributes", payload: payload) }
        client.stop()
    }

    func testPublishesFromManyThreadsAtOnce() async throws {
        let broker = try await startBroker()
        let client = try MosquittoClient(options: .init(port: broker.port, maxInflight: 100))
        let log = EventLog.recording(client)
        try client.start()
        try await log.next("CONNACK 0") { $0.isAccepted }
        let threads = 8
        let perThread = 50
        let ids = NSLock()
        nonisolated(unsafe) var messageIDs = Set<Int32>()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                let id = try! client.publish(topic: "bench/\(thread)", payload: "\(index)")
                ids.withLock { _ = messageIDs.insert(id) }
            }
        }
        XCTAssertEqual(messageIDs.count, threads * perThread, "every publish got its own message ID")
        let expected = ids.withLock { messageIDs }
        try await log.waitUntil("a PUBACK for each of the \(expected.count) messages") { events in
            Set(events.compactMap { if case .published(let id) = $0 { id } else { nil } }) == expected
        }
        client.stop()
    }

    func testPublishingQoS0WhileNotConnectedThrowsWithTheTopicAndReason() async throws {
        let client = try MosquittoClient(options: .init(port: 1))
        XCTAssertThrowsError(try client.publish(topic: "v1/devices/me/telemetry", payload: "{}", qos: 0)) { error in
            XCTAssertEqual(
                "\(error)", "publish to v1/devices/me/telemetry: The client is not currently connected.")
            XCTAssertTrue((error as? MosquittoError)?.isNotConnected == true)
        }
    }

    func testRejectsAPersistentSessionWithoutAClientID() {
        XCTAssertThrowsError(try MosquittoClient(options: .init(cleanSession: false))) { error in
            XCTAssertTrue("\(error)".contains("needs a clientID"), "\(error)")
        }
    }
}
