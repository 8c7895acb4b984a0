import NIOCore

/// One way from a client to a device end that the peer benchmark measures: direct TCP, a
/// relay built from peer programs, or our tunnel.
protocol PeerPath: Sendable {
    /// The row name in the report.
    var name: String { get }
    /// The commands that built the path, for the report.
    var commands: [String] { get }
    /// Opens session `index` (our tunnel: to agent `index`; the others ignore it) and returns
    /// its two ends, both ending in raw bytes; the device end echoes until given another role.
    func openSession(index: Int) async throws -> PeerSession
    /// From the start of a session's setup (our tunnel: creating it in the store; the others:
    /// dialling) to the first echoed byte back at the client, for session `index`.
    func setupToFirstByte(index: Int) async throws -> Duration
    func stop() async
}

/// Both ends of one session through a path.
struct PeerSession: Sendable {
    let client: any Channel
    let device: any Channel
    let close: @Sendable () async -> Void
}
