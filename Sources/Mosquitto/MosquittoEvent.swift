/// What libmosquitto's network thread reports, copied out of its callbacks.
public enum MosquittoEvent: Sendable, Equatable {
    /// A CONNACK arrived: `code` 0 means accepted, anything else is the broker's refusal
    /// (`reason` is libmosquitto's text for it).
    case connected(code: Int32, reason: String)
    /// The connection ended: `code` 0 after `stop()`, otherwise a libmosquitto error code
    /// (`reason` is its text); libmosquitto then reconnects by itself.
    case disconnected(code: Int32, reason: String)
    /// The broker acknowledged the message with this ID (PUBACK for QoS 1; for QoS 0, only
    /// that it was handed to the socket).
    case published(messageID: Int32)
    /// A message arrived on a subscribed topic.
    case message(topic: String, payload: [UInt8])
    /// The broker answered a SUBSCRIBE; 128 (0x80) in `grantedQoS` is a refused filter.
    case subscribed(messageID: Int32, grantedQoS: [Int32])
    /// libmosquitto logged an error, e.g. "OpenSSL Error[0]: ... certificate verify failed".
    /// A TLS handshake failure is reported only this way: libmosquitto 2.0's network thread
    /// then ends without a `.disconnected` and never retries (see `MosquittoClient`).
    case failure(message: String)

    /// True for a CONNACK refusal that retrying cannot fix: the credentials need an operator.
    public var isPermanentRefusal: Bool {
        if case .connected(let code, _) = self { return Self.isPermanentRefusal(connackCode: code) }
        return false
    }

    /// CONNACK codes 2 (identifier rejected), 4 (bad user name or password) and 5 (not
    /// authorised) are permanent; 1 (protocol version) and 3 (server unavailable) are not.
    public static func isPermanentRefusal(connackCode: Int32) -> Bool {
        connackCode == 2 || connackCode == 4 || connackCode == 5
    }
}
