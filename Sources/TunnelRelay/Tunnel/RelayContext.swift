import Logging
import NIOConcurrencyHelpers

/// What every connection handler of one relay shares.
struct RelayContext: Sendable {
    let configuration: RelayConfiguration
    let store: any RelayStore
    let writes: StoreWrites
    let agents: AgentDirectory
    let broker: SessionBroker
    let limiter: NIOLockedValueBox<SourceLimiter>
    let metrics: RelayMetrics
    let telemetry: LiveTelemetry
    let renewer: CertificateRenewer
    let diagnostics: DiagnosticsDesk
    /// The other nodes of a cluster, when this node has a node listener.
    let nodes: NodeLinks?
    let logger: Logger
}
