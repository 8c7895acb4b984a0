import NIOCore
import SharedWire
import TunnelTransport

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
    /// Where the session hands the agent's serial control results and line state, for an
    /// endpoint that sends serial control operations (RFC 2217, the PTY's line settings);
    /// `nil` (the default) for an endpoint that carries bytes only.
    var controlReceiver: (any SerialControlReceiver)? { get }
}

extension LocalEndpoint {
    var controlReceiver: (any SerialControlReceiver)? { nil }
}

/// Takes what the agent says about serial control, on the bridge's event loop.
protocol SerialControlReceiver: AnyObject, Sendable {
    /// The result of the oldest serial control operation the endpoint sent.
    func tunnelAnswered(_ result: SerialControlResult)
    /// Line and modem state the agent reported by itself.
    func tunnelReported(_ state: SerialState)
}
