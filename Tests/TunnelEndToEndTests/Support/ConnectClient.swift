import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import TunnelHarness
import TunnelTransport

@testable import TunnelConnect

/// tunnel-connect's own session code, run in the test process with a PTY or TCP endpoint.
final class ConnectClient: Sendable {
    let linkPath: String
    private let session: ClientSession
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let statusLines = NIOLockedValueBox([String]())

    convenience init(deployment: LocalDeployment, token: String, linkPath: String, capture: SessionCapture? = nil) throws {
        try self.init(
            deployment: deployment, token: token, linkPath: linkPath, endpoint: PTYEndpoint(linkPath: linkPath), capture: capture)
    }

    /// tunnel-connect with `--tcp host:port`.
    convenience init(deployment: LocalDeployment, token: String, tcp address: RelayAddress) throws {
        try self.init(deployment: deployment, token: token, linkPath: "", endpoint: TCPEndpoint(address: address))
    }

    private init(
        deployment: LocalDeployment, token: String, linkPath: String, endpoint: any LocalEndpoint, capture: SessionCapture? = nil
    ) throws {
        self.linkPath = linkPath
        let dialer = TunnelDialer(relay: deployment.relayAddress, tls: try deployment.clientTLS())
        let lines = statusLines
        session = ClientSession(
            target: ConnectTarget(relay: deployment.relayAddress, token: token), dialer: dialer,
            endpoint: endpoint, group: deployment.clientGroup, capture: capture,
            status: { line in lines.withLockedValue { $0.append(line) } })
        group = ServiceGroup(
            configuration: .init(
                services: [.init(service: session, successTerminationBehavior: .gracefullyShutdownGroup)],
                logger: Logger(label: "test-connect")))
        let serviceGroup = group
        task = Task { try await serviceGroup.run() }
    }

    var status: [String] { statusLines.withLockedValue { $0 } }

    /// Where tunnel-connect said to point the Control Panel ("Local endpoint ready: …").
    var localEndpoint: String? {
        status.first { $0.hasPrefix("Local endpoint ready: ") }.map { String($0.dropFirst("Local endpoint ready: ".count)) }
    }
    var outcome: ClientSession.Outcome? { session.outcome }

    func waitUntilConnected() async throws {
        try await waitUntil("tunnel-connect reports the session connected (status: \(status))") {
            self.status.contains { $0.hasPrefix("Connected to device") }
        }
    }

    /// Waits for the session to end by itself; returns how it ended.
    func waitUntilEnded() async throws -> ClientSession.Outcome? {
        try await waitUntil("the tunnel-connect session ended") { self.session.outcome != nil }
        _ = try? await task.value
        return session.outcome
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// A fresh temporary folder for a test's files.
func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("tunnel-test-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// `count` random bytes.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}
