import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// The relay's metrics, in a Prometheus registry of its own (so several relays in one test
/// process keep theirs apart), served at the admin API's `/metrics`. Names carry their unit.
public final class RelayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    /// Agents with a control connection now (set at each scrape).
    let agentsConnected: CoreMetrics.Gauge
    /// Sessions forwarding now (set at each scrape).
    let sessionsActive: CoreMetrics.Gauge
    /// Serial bytes forwarded by ended sessions, by direction.
    let bytesToDevice: CoreMetrics.Counter
    let bytesFromDevice: CoreMetrics.Counter
    /// Tunnel connections that completed HELLO/WELCOME, by role.
    let handshakesAgent: CoreMetrics.Counter
    let handshakesClient: CoreMetrics.Counter
    /// Refused authentications: tunnel peers and admin API keys.
    let tunnelAuthFailures: CoreMetrics.Counter
    let adminAuthFailures: CoreMetrics.Counter
    /// Connections closed for not starting with a valid PROXY protocol header, by listener.
    let proxyHeaderRefusalsTunnel: CoreMetrics.Counter
    let proxyHeaderRefusalsAdmin: CoreMetrics.Counter
    /// Sessions whose agent's data connection reached another node and was carried here (counted
    /// on the client's node), and the frames' serial bytes this node passed between an agent
    /// and another node, by direction (counted on the agent's node).
    let crossNodeSessions: CoreMetrics.Counter
    let nodeBytesToAgent: CoreMetrics.Counter
    let nodeBytesFromAgent: CoreMetrics.Counter
    /// Admin API requests, and how long store operations take.
    let adminRequests: CoreMetrics.Counter
    let storeLatency: CoreMetrics.Timer
    /// Seconds since each other relay node's newest heartbeat, by the store's clock, labelled
    /// by node name; a node that leaves the table leaves the exposition.
    private let nodeHeartbeatAges = NIOLockedValueBox<[String: Prometheus.Gauge]>([:])
    private static var nodeHeartbeatAge: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "relay", metricName: "node_heartbeat_age", unitName: "seconds",
            helpText: "Seconds since the relay node's newest heartbeat, by the store's clock")
    }

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50),
            .milliseconds(100), .milliseconds(500), .seconds(1),
        ]
        self.factory = factory
        agentsConnected = CoreMetrics.Gauge(label: "relay_agents_connected", factory: factory)
        sessionsActive = CoreMetrics.Gauge(label: "relay_sessions_active", factory: factory)
        bytesToDevice = CoreMetrics.Counter(label: "tunnel_session_bytes_total", dimensions: [("direction", "to_device")], factory: factory)
        bytesFromDevice = CoreMetrics.Counter(
            label: "tunnel_session_bytes_total", dimensions: [("direction", "from_device")], factory: factory)
        handshakesAgent = CoreMetrics.Counter(label: "relay_handshakes_total", dimensions: [("role", "agent")], factory: factory)
        handshakesClient = CoreMetrics.Counter(label: "relay_handshakes_total", dimensions: [("role", "client")], factory: factory)
        tunnelAuthFailures = CoreMetrics.Counter(label: "relay_auth_failures_total", dimensions: [("listener", "tunnel")], factory: factory)
        adminAuthFailures = CoreMetrics.Counter(label: "relay_auth_failures_total", dimensions: [("listener", "admin")], factory: factory)
        proxyHeaderRefusalsTunnel = CoreMetrics.Counter(
            label: "relay_proxy_header_refusals_total", dimensions: [("listener", "tunnel")], factory: factory)
        proxyHeaderRefusalsAdmin = CoreMetrics.Counter(
            label: "relay_proxy_header_refusals_total", dimensions: [("listener", "admin")], factory: factory)
        crossNodeSessions = CoreMetrics.Counter(label: "relay_cross_node_sessions_total", factory: factory)
        nodeBytesToAgent = CoreMetrics.Counter(
            label: "relay_node_forwarded_bytes_total", dimensions: [("direction", "to_device")], factory: factory)
        nodeBytesFromAgent = CoreMetrics.Counter(
            label: "relay_node_forwarded_bytes_total", dimensions: [("direction", "from_device")], factory: factory)
        adminRequests = CoreMetrics.Counter(label: "relay_admin_requests_total", factory: factory)
        storeLatency = CoreMetrics.Timer(label: "relay_store_operation_seconds", factory: factory)
    }

    /// Runs a store operation, recording how long it took.
    func timed<T>(_ operation: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { storeLatency.recordInterval(since: start) }
        return try await operation()
    }

    /// The text exposition, with the gauges brought up to date; `nodes` are the store's relay
    /// nodes (`nil` when the store did not answer: the node gauges stay as they were), of which
    /// all but `ownNode` get a heartbeat age.
    func exposition(agents: Int, sessions: Int, nodes: [NodeRecord]? = nil, ownNode: String = "") -> [UInt8] {
        agentsConnected.record(agents)
        sessionsActive.record(sessions)
        if let nodes { recordHeartbeatAges(of: nodes.filter { $0.name != ownNode }) }
        return registry.emitToBuffer()
    }

    private func recordHeartbeatAges(of nodes: [NodeRecord]) {
        nodeHeartbeatAges.withLockedValue { gauges in
            for gone in Set(gauges.keys).subtracting(nodes.map(\.name)) {
                if let gauge = gauges.removeValue(forKey: gone) { registry.unregisterGauge(gauge) }
            }
            for node in nodes {
                let gauge =
                    gauges[node.name]
                    ?? registry.makeGauge(descriptor: Self.nodeHeartbeatAge, labels: [("node", node.name)])
                gauges[node.name] = gauge
                gauge.set(node.heartbeatAge)
            }
        }
    }
}

extension CoreMetrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
