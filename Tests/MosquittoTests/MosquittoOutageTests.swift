import Mosquitto
import TunnelHarness
import XCTest

/// Broker restarts and outages: libmosquitto's own reconnecting, and persistent sessions.
final class MosquittoOutageTests: XCTestCase {
    private func quickReconnect(_ port: Int, clientID: String? = nil, cleanSession: Bool = true) -> MosquittoOptions {
        .init(port: port, clientID: clientID, cleanSession: cleanSession, reconnectDelayMin: 1, reconnectDelayMax: 1)
    }

    func testReportsTheDropAndReconnectsAfterABrokerRestart() async throws {
        let broker = try await startBroker()
        let client = try MosquittoClient(options: quickReconnect(broker.port))
        let log = EventLog.recording(client)
        try client.start()
        try await log.next("CONNACK 0") { $0.isAccepted }
        await broker.stop()
        let drop = try await log.next("drop") { if case .disconnected = $0 { true } else { false } }
        XCTAssertEqual(drop, .disconnected(code: 7, reason: "The connection was lost."))
        try await broker.restart()
        try await log.next("CONNACK 0 after the restart") { $0.isAccepted }
        client.stop()
    }

    func testConnectsOnceABrokerThatWasDownAtStartComesUp() async throws {
        let broker = try await startBroker()
        await broker.stop()
        let client = try MosquittoClient(options: quickReconnect(broker.port))
        let log = EventLog.recording(client)
        try client.start()
        try await log.expectNone("CONNACK while the broker is down", for: .milliseconds(1_500)) {
            if case .connected = $0 { true } else { false }
        }
        try await broker.restart()
        try await log.next("CONNACK 0 once the broker is up") { $0.isAccepted }
        client.stop()
    }

    func testAQoS1MessagePublishedWhileDisconnectedGoesOutAfterTheReconnect() async throws {
        let broker = try await startBroker()
        let client = try MosquittoClient(options: quickReconnect(broker.port))
        let log = EventLog.recording(client)
        try client.start()
        try await log.next("CONNACK 0") { $0.isAccepted }
        await broker.stop()
        try await log.next("drop") { $0.isDrop }
        let queued = try client.publish(topic: "v1/devices/me/telemetry", payload: #"{"soc":80}"#, qos: 1)
        XCTAssertThrowsError(try client.publish(topic: "v1/devices/me/telemetry", payload: "{}", qos: 0))
        try await broker.restart()
        try await log.next("CONNACK 0") { $0.isAccepted }
        try await log.next("PUBACK \(queued) after the reconnect") { $0 == .published(messageID: queued) }
        client.stop()
    }

    /// How agent tests count telemetry: a persistent subscriber misses nothing while it is away,
    /// even across a broker restart.
    func testAPersistentSubscriberGetsWhatWasPublishedWhileItWasAway() async throws {
        let broker = try await startBroker(.init(persistence: true))
        let topic = "v1/devices/me/telemetry"
        let counter = try MosquittoClient(options: quickReconnect(broker.port, clientID: "counter", cleanSession: false))
        let counterLog = EventLog.recording(counter)
        try counter.start()
        try await counterLog.next("CONNACK 0") { $0.isAccepted }
        let subscription = try counter.subscribe(topic, qos: 1)
        try await counterLog.next("SUBACK") { $0 == .subscribed(messageID: subscription, grantedQoS: [1]) }
        counter.stop()

        let device = try MosquittoClient(options: quickReconnect(broker.port))
        let deviceLog = EventLog.recording(device)
        try device.start()
        try await deviceLog.next("CONNACK 0") { $0.isAccepted }
        let payloads = (1...6).map { #"{"seq":\#($0)}"# }
        for payload in payloads.prefix(3) {
            let id = try device.publish(topic: topic, payload: payload, qos: 1)
            try await deviceLog.next("PUBACK \(id)") { $0 == .published(messageID: id) }
        }
        try await broker.restart()
        try await deviceLog.next("CONNACK 0 after the restart") { $0.isAccepted }
        for payload in payloads.suffix(3) {
            let id = try device.publish(topic: topic, payload: payload, qos: 1)
            try await deviceLog.next("PUBACK \(id)") { $0 == .published(messageID: id) }
        }
        device.stop()

        let returning = try MosquittoClient(options: quickReconnect(broker.port, clientID: "counter", cleanSession: false))
        let returningLog = EventLog.recording(returning)
        try returning.start()  // no new SUBSCRIBE: the broker kept the subscription
        try await returningLog.waitUntil("all \(payloads.count) messages") { events in
            events.filter { if case .message = $0 { true } else { false } }.count >= payloads.count
        }
        let received = returningLog.all.compactMap { event -> String? in
            if case .message(topic, let payload) = event { String(decoding: payload, as: UTF8.self) } else { nil }
        }
        XCTAssertEqual(received, payloads, "in order, each once")
        returning.stop()
    }
}
