import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import TunnelHarness
import TunnelTransport

@testable import TunnelConnect

/// tunnel-connect's session code run in the test process with any local endpoint (for the
/// endpoints `ConnectClient` does not make, such as RFC 2217).
final class EndpointSession: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let statusLines = NIOLockedValueBox([String]())

    init(deployment: LocalDeployment, token: String, endpoint: any LocalEndpoint) throws {
        let lines = statusLines
        let session = ClientSession(
            target: ConnectTarget(relay: deployment.relayAddress, token: token),
            dialer: TunnelDialer(relay: deployment.relayAddress, tls: try deployment.clientTLS()),
            endpoint: endpoint, group: deployment.clientGroup,
            status: { line in lines.withLockedValue { $0.append(line) } })
        group = ServiceGroup(
            configuration: .init(
                services: [.init(service: session, successTerminationBehavior: .gracefullyShutdownGroup)],
                logger: Logger(label: "test-connect")))
        let serviceGroup = group
        task = Task { try await serviceGroup.run() }
    }

    var status: [String] { statusLines.withLockedValue { $0 } }

    /// The local port number tunnel-connect listens on, once it said where.
    var localPort: Int? {
        status.first { $0.hasPrefix("Local endpoint ready: ") }.flatMap { Int($0.split(separator: ":").last ?? "") }
    }

    func waitUntilConnected() async throws {
        try await waitUntil("tunnel-connect reports the session connected (status: \(status))") {
            self.status.contains { $0.hasPrefix("Connected to device") }
        }
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
