import AgentConfig
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import TunnelAgent
import TunnelPKI
import TunnelRelay
import TunnelTransport

/// An agent's relay link running in this process: the product's `RelayLink` (dial, keepalive,
/// redial with backoff and jitter) with its own device certificate, sharing an event loop
/// group with the rest of the fleet. Its serial device is never opened (no sessions).
final class FleetAgent: Sendable {
    let deviceID: String
    let facts = AgentFacts()
    private let serviceGroup: ServiceGroup
    private let task: Task<Void, any Error>

    init(
        deviceID: String, bundle: RelayCredentials.Bundle, relay: RelayAddress, group: any EventLoopGroup,
        reconnectMax: Double, keepalive: KeepaliveHandler.Configuration, serialDevice: String, logger: Logger
    ) throws {
        self.deviceID = deviceID
        let tls = try NIOSSLContext(
            configuration: TLSPolicy.client(
                trustedCA: try PEMFiles.certificates(at: bundle.caPath),
                chain: try PEMFiles.certificates(at: bundle.certificatePath), key: try PEMFiles.privateKey(at: bundle.keyPath)))
        let dialer = TunnelDialer(relay: relay, tls: tls, keepalive: keepalive)
        let line = SerialLine(settings: AgentSettings.Serial(device: serialDevice), logger: logger)
        let sessions = AgentSessions(line: line, dialer: dialer, software: "tunnel-bench/fleet", logger: logger)
        let link = RelayLink(
            dialer: dialer, sessions: sessions, group: group, software: "tunnel-bench/fleet",
            reconnectMax: reconnectMax, facts: facts, logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [link], logger: logger))
        self.serviceGroup = serviceGroup
        self.task = Task { try await serviceGroup.run() }
    }

    /// True while the control connection is up (the relay answered HELLO with WELCOME).
    var connected: Bool { facts.snapshot.relayConnected }

    func stop() async {
        await serviceGroup.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Registers devices in a relay's data directory the way `tunnel-relay device add` does
/// (certificate from the device CA, record in the store), many at once.
enum FleetRegistration {
    static func register(_ deviceIDs: [String], dataDirectory: String) async throws {
        var logger = Logger(label: "bench.faults.store")
        logger.logLevel = .warning
        let store = try await SQLiteRelayStore.open(path: dataDirectory + "/relay.sqlite", logger: logger)
        let credentials = RelayCredentials(dataDirectory: dataDirectory)
        do {
            for id in deviceIDs {
                let certificate = try credentials.issueDeviceBundle(deviceID: id, into: bundle(id, dataDirectory).directory)
                try await store.addDevice(
                    DeviceRecord(
                        id: id, customer: "bench", createdAt: Date(), certificateSerial: "\(certificate.serialNumber)"))
            }
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    static func bundle(_ deviceID: String, _ dataDirectory: String) -> RelayCredentials.Bundle {
        RelayCredentials.Bundle(directory: dataDirectory + "/agents/\(deviceID)")
    }
}

/// Waits until `condition` holds, polling every `every`; false when `timeout` passed first.
func faultPoll(timeout: Duration, every: Duration = .milliseconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: every)
    }
    return condition()
}
