/// A libmosquitto call that failed: what was being done, and libmosquitto's reason.
public struct MosquittoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being done, e.g. "publish to v1/devices/me/telemetry".
    public let operation: String
    /// libmosquitto's error code (`MOSQ_ERR_*`).
    public let code: Int32
    /// libmosquitto's text for `code` (`mosquitto_strerror`).
    public let reason: String

    public init(operation: String, code: Int32, reason: String) {
        self.operation = operation
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(operation): \(reason)" }

    /// True when the call failed only because the client is not connected right now
    /// (`MOSQ_ERR_NO_CONN`): the network thread is reconnecting, so try again later.
    public var isNotConnected: Bool { code == 4 }
}
