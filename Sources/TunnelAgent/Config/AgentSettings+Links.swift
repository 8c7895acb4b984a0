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

    /// `mqtt`: the telemetry uplink to a ThingsBoard-style broker.
    public struct MQTT: Sendable, Equatable {
        /// The uplink is used.
        public let enabled: Bool
        /// The broker, `mqtt://host:port` or `mqtts://host:port`.
        public let uri: String
        /// `cli_key`: the client's private key (PEM); relative paths are taken from the file's folder.
        public let cliKey: String
        /// `cli_cert`: the client's certificate (PEM); relative paths are taken from the file's folder.
        public let cliCert: String
        /// Broker user name (a ThingsBoard access token goes here).
        public let username: String
        /// Broker password.
        public let password: String
        /// `attr_send_period`: seconds between client-attribute updates.
        public let attrSendPeriod: Int

        public init(
            enabled: Bool = true, uri: String = "mqtt://rms.emus.io:8883", cliKey: String = "/spiffs/cli_key.pem",
            cliCert: String = "/spiffs/cli_certificate.pem", username: String = "", password: String = "", attrSendPeriod: Int = 10
        ) {
            self.enabled = enabled
            self.uri = uri
            self.cliKey = cliKey
            self.cliCert = cliCert
            self.username = username
            self.password = password
            self.attrSendPeriod = attrSendPeriod
        }
    }
}
