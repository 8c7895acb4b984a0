extension AgentSettings {
    /// `can`: the BMS's CAN bus.
    public struct CAN: Sendable, Equatable {
        /// CAN acquisition is used.
        public let enabled: Bool
        /// Bit rate, bits per second (the manual's default 250000).
        public let speed: Int
        /// Protocol name, "CAN" (the manual's default is null).
        public let `protocol`: String
        /// Ours: the SocketCAN interface the bus is on, for example `can0`.
        public let interface: String

        public init(enabled: Bool = true, speed: Int = 250_000, protocol: String = "CAN", interface: String = "can0") {
            self.enabled = enabled
            self.speed = speed
            self.protocol = `protocol`
            self.interface = interface
        }
    }

    /// `mqtt`: the telemetry uplink to a ThingsBoard-style broker. The EMUS keys, then ours.
    public struct MQTT: Sendable, Equatable {
        /// The uplink is used.
        public let enabled: Bool
        /// The broker, `mqtt://host:port` or `mqtts://host:port`.
        public let uri: String
        /// `cli_key`: the client's private key (PEM); relative paths are taken from the file's
        /// folder. Empty (the default here; the manual's `/spiffs/…` is the vendor unit's
        /// flash): no client certificate. Set, it must be readable, and the uplink uses TLS.
        public let cliKey: String
        /// `cli_cert`: the client's certificate (PEM), as `cliKey`.
        public let cliCert: String
        /// Broker user name.
        public let username: String
        /// Broker password.
        public let password: String
        /// `attr_send_period`: seconds between client-attribute updates.
        public let attrSendPeriod: Int
        /// Ours, `ca`: the CA (PEM) the broker's certificate must chain to; empty takes the system's.
        public let ca: String
        /// Ours, `access_token`: a ThingsBoard device access token (sent as the user name, no password).
        public let accessToken: String
        /// Ours, `client_id`: the MQTT client identifier; empty takes the gateway's own,
        /// `tunnel-agent-<host name>-<suffix kept in the state folder>`.
        public let clientID: String
        /// Ours, `publish_rate`: most telemetry records sent per second (a backlog goes out at
        /// this pace, oldest first); 0 sends as fast as the broker acknowledges.
        public let publishRate: Int
        /// Ours, `sequence_key`: when set, each record also carries its queue sequence number
        /// under this key, so the portal can see gaps; empty sends none.
        public let sequenceKey: String
        /// Ours, `queue`: bounds of the store-and-forward queue.
        public let queue: Queue
        /// Ours, `provision`: ThingsBoard device provisioning, used once when no credentials are stored.
        public let provision: Provision?

        public init(
            enabled: Bool = true, uri: String = "mqtt://rms.emus.io:8883", cliKey: String = "",
            cliCert: String = "", username: String = "", password: String = "", attrSendPeriod: Int = 10,
            ca: String = "", accessToken: String = "", clientID: String = "", publishRate: Int = 1000, sequenceKey: String = "",
            queue: Queue = Queue(), provision: Provision? = nil
        ) {
            self.enabled = enabled
            self.uri = uri
            self.cliKey = cliKey
            self.cliCert = cliCert
            self.username = username
            self.password = password
            self.attrSendPeriod = attrSendPeriod
            self.ca = ca
            self.accessToken = accessToken
            self.clientID = clientID
            self.publishRate = publishRate
            self.sequenceKey = sequenceKey
            self.queue = queue
            self.provision = provision
        }

        /// `mqtt.queue` (ours).
        public struct Queue: Sendable, Equatable {
            /// `max_bytes`: largest total size of queued telemetry, bytes.
            public let maxBytes: Int
            /// `max_age`: oldest record kept, seconds.
            public let maxAge: Int

            public init(maxBytes: Int = 64 << 20, maxAge: Int = 7 * 86_400) {
                self.maxBytes = maxBytes
                self.maxAge = maxAge
            }
        }

        /// `mqtt.provision` (ours): the fleet's ThingsBoard provisioning key and secret.
        public struct Provision: Sendable, Equatable {
            /// `device_name`: the name the device is created under.
            public let deviceName: String
            /// `key`: the device profile's provision key.
            public let key: String
            /// `secret`: the device profile's provision secret.
            public let secret: String

            public init(deviceName: String, key: String, secret: String) {
                self.deviceName = deviceName
                self.key = key
                self.secret = secret
            }
        }
    }
}
