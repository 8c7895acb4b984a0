/// The agent's `settings.json`: the EMUS RMS format (seed manual 6.1) plus our `tunnel`
/// section. Keys this build does not use are accepted and ignored, so a file written for
/// the vendor's hardware loads as it is.
public struct AgentSettings: Codable, Sendable, Equatable {
    public var serial: Serial
    public var tunnel: Tunnel

    public init(serial: Serial = Serial(), tunnel: Tunnel) {
        self.serial = serial
        self.tunnel = tunnel
    }

    /// `serial`: the BMS's G1 serial link.
    public struct Serial: Codable, Sendable, Equatable {
        /// EMUS: whether the G1 serial protocol is used.
        public var enabled: Bool
        /// EMUS: link type, usually "RS232".
        public var type: String
        /// EMUS: bits per second (57600 for G1).
        public var speed: UInt32
        /// EMUS: protocol name, "g1".
        public var `protocol`: String
        /// Ours: the serial device the BMS is on, for example `/dev/ttyUSB0`.
        public var device: String

        public init(enabled: Bool = true, type: String = "RS232", speed: UInt32 = 57_600, protocol: String = "g1", device: String = "/dev/ttyUSB0") {
            self.enabled = enabled
            self.type = type
            self.speed = speed
            self.protocol = `protocol`
            self.device = device
        }

        enum CodingKeys: String, CodingKey { case enabled, type, speed, `protocol`, device }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Serial()
            enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? defaults.enabled
            type = try c.decodeIfPresent(String.self, forKey: .type) ?? defaults.type
            speed = try c.decodeIfPresent(UInt32.self, forKey: .speed) ?? defaults.speed
            `protocol` = try c.decodeIfPresent(String.self, forKey: .protocol) ?? defaults.protocol
            device = try c.decodeIfPresent(String.self, forKey: .device) ?? defaults.device
        }
    }

    /// `tunnel` (ours): how the agent reaches the relay.
    public struct Tunnel: Codable, Sendable, Equatable {
        /// The relay's tunnel port, `host:port`.
        public var relay: String
        /// "always": keep the control connection up; "on_demand": dial only when told to.
        public var mode: String
        /// Device certificate (PEM) issued by the relay's device CA.
        public var cert: String
        /// Its private key (PEM).
        public var key: String
        /// The relay's server CA (PEM).
        public var ca: String
        /// Seconds between keepalive pings.
        public var pingInterval: Int64
        /// Seconds of relay silence after which the connection is dropped and redialled.
        public var peerTimeout: Int64
        /// Longest wait between reconnection attempts, seconds.
        public var reconnectMax: Double

        public init(
            relay: String, mode: String = "always", cert: String, key: String, ca: String,
            pingInterval: Int64 = 15, peerTimeout: Int64 = 45, reconnectMax: Double = 30
        ) {
            self.relay = relay
            self.mode = mode
            self.cert = cert
            self.key = key
            self.ca = ca
            self.pingInterval = pingInterval
            self.peerTimeout = peerTimeout
            self.reconnectMax = reconnectMax
        }

        enum CodingKeys: String, CodingKey {
            case relay, mode, cert, key, ca
            case pingInterval = "ping_interval"
            case peerTimeout = "peer_timeout"
            case reconnectMax = "reconnect_max"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            relay = try c.decode(String.self, forKey: .relay)
            mode = try c.decodeIfPresent(String.self, forKey: .mode) ?? "always"
            cert = try c.decode(String.self, forKey: .cert)
            key = try c.decode(String.self, forKey: .key)
            ca = try c.decode(String.self, forKey: .ca)
            pingInterval = try c.decodeIfPresent(Int64.self, forKey: .pingInterval) ?? 15
            peerTimeout = try c.decodeIfPresent(Int64.self, forKey: .peerTimeout) ?? 45
            reconnectMax = try c.decodeIfPresent(Double.self, forKey: .reconnectMax) ?? 30
        }
    }
}
