/// Every bound the tunnel protocol enforces, named in one place.
///
/// `docs/PROTOCOL.md` quotes these values; a change here is a protocol change.
public enum TunnelLimits {
    /// The protocol version this build speaks in `HELLO` and `WELCOME`.
    public static let protocolVersion: UInt8 = 1

    /// Bytes in a frame header: type (1), flags (1), payload length (4).
    public static let frameHeaderSize = 6

    /// Largest payload one frame may carry. Serial traffic is small; 64 KiB keeps a
    /// hostile peer from making a receiver buffer more than that per connection while still
    /// letting bulk transfers fill whole TLS records.
    public static let maxFramePayload = 65_536

    /// Largest string field (tokens, identifiers, messages) in a control payload.
    public static let maxStringLength = 4_096

    /// Most names in a `WATCHERS` frame.
    public static let maxWatchersListed = 32

    /// Largest bytes field (a DER certificate or certificate signing request).
    public static let maxBytesFieldLength = 8_192

    /// How long a peer has to finish TLS and send its `HELLO` before the relay drops it.
    public static let defaultHandshakeTimeoutSeconds: Int64 = 10

    /// Default ping interval on every tunnel connection.
    public static let defaultPingIntervalSeconds: Int64 = 15

    /// Default silence after which a peer is considered dead.
    public static let defaultPeerTimeoutSeconds: Int64 = 45

    /// Unsent outbound bytes past which a connection is closed rather than given one more
    /// reply to something its peer asked (a `PONG`, a `SERIAL_CONTROL_RESULT`): a peer that
    /// sends requests and never reads cannot make its receiver buffer the answers. Forwarded
    /// session traffic stays far below it (forwarding stops reading at the partner's 64 KiB
    /// high-water mark), so only a peer that does not read reaches it.
    public static let maxUnsentBytesBeforeReply = 1 << 20

    /// Longest identifier a peer may name (a session ID in `HELLO`, `OPEN_SESSION` or
    /// `CLOSE_SESSION`, a device ID): the 1–64 characters of `TunnelIdentifier`.
    public static let maxIdentifierLength = 64
}
