/// How a `MosquittoClient` reaches its broker and behaves on the connection.
public struct MosquittoOptions: Sendable {
    /// The broker's host name or IP address.
    public let host: String
    /// The broker's TCP port: 1883 for plain MQTT, 8883 for MQTT over TLS by convention.
    public let port: Int
    /// The MQTT client identifier; nil lets libmosquitto make a random one (clean sessions only).
    public let clientID: String?
    /// Whether the broker forgets subscriptions and queued messages when the client disconnects.
    public let cleanSession: Bool
    /// The MQTT user name (a ThingsBoard access token goes here), or nil to send none.
    public let username: String?
    /// The MQTT password, or nil to send none; needs a `username`.
    public let password: String?
    /// TLS settings, or nil for plain TCP.
    public let tls: TLS?
    /// Seconds between keepalive PINGREQs when the connection is otherwise idle (at least 5).
    public let keepalive: Int
    /// How many QoS 1 and 2 messages may await their acknowledgement at once (1...65535);
    /// further publishes wait in libmosquitto's queue.
    public let maxInflight: Int
    /// Seconds before the first reconnect attempt after a drop.
    public let reconnectDelayMin: Int
    /// The longest wait between reconnect attempts; libmosquitto's "exponential" backoff grows
    /// the wait quadratically from `reconnectDelayMin` (× 1, 4, 9, …) up to it.
    public let reconnectDelayMax: Int
    /// Sends each packet at once (TCP_NODELAY) rather than holding small ones back until the
    /// last is acknowledged: with Nagle's algorithm a request/answer exchange such as a firmware
    /// chunk waits for the peer's delayed ACK, about 40 ms each time.
    public let noDelay: Bool

    /// Certificate files for a TLS connection, all PEM.
    public struct TLS: Sendable {
        /// The CA certificates that may sign the broker's certificate.
        public let caFile: String
        /// The client certificate to present, or nil to present none.
        public let certificateFile: String?
        /// The private key of `certificateFile`; set both or neither.
        public let keyFile: String?

        public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    public init(
        host: String = "127.0.0.1", port: Int = 1883, clientID: String? = nil, cleanSession: Bool = true,
        username: String? = nil, password: String? = nil, tls: TLS? = nil, keepalive: Int = 60,
        maxInflight: Int = 20, reconnectDelayMin: Int = 1, reconnectDelayMax: Int = 60, noDelay: Bool = true
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.username = username
        self.password = password
        self.tls = tls
        self.keepalive = keepalive
        self.maxInflight = maxInflight
        self.reconnectDelayMin = reconnectDelayMin
        self.reconnectDelayMax = reconnectDelayMax
        self.noDelay = noDelay
    }
}
