import NIOCore
import TunnelPlumbing

/// Where the Control Panel connects on the engineer's machine.
protocol LocalEndpoint: AnyObject, Sendable {
    /// Opens the endpoint with the bridge's local handler; returns what to point the Control
    /// Panel at. Reading stays off until `setReading(true)`.
    func start(bridge: SerialBridge) async throws -> String
    /// Turns reading from the Control Panel side on (session connected) or off.
    func setReading(_ on: Bool)
    /// True when the Control Panel may disconnect and reconnect within one session.
    var survivesLocalClose: Bool { get }
    /// Closes the endpoint and cleans up (PTY symlink, listening socket).
    func close()
}
