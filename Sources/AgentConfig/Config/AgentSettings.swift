/// The agent's `settings.json`: every section of the EMUS RMS format (seed manual 6.1) with
/// the manual's defaults, plus our `tunnel` section and `serial.device`. Sections that only
/// make sense on the vendor's hardware (`general`, `wifi`, `ota`, `cellular`) are read and
/// checked so that a file written for the RMS loads as it is, and reported as not applicable.
/// Reading lives in `AgentSettings+Reading.swift`, files in `AgentSettings+Loading.swift`.
public struct AgentSettings: Sendable, Equatable {
    /// `general`: connection switching, power saving, SD card (vendor hardware); nil when absent.
    public let general: General?
    /// `wifi`: the vendor unit's Wi-Fi (vendor hardware); nil when absent.
    public let wifi: Wifi?
    /// `ota`: the vendor unit's firmware updates (vendor hardware); nil when absent.
    public let ota: OTA?
    /// `cellular`: the vendor unit's modem (vendor hardware); nil when absent.
    public let cellular: Cellular?
    /// `can`: the BMS's CAN bus; nil when absent (no CAN acquisition).
    public let can: CAN?
    /// `serial`: the BMS's G1 serial link; the defaults when absent.
    public let serial: Serial
    /// `mqtt`: the telemetry uplink; nil when absent (no uplink).
    public let mqtt: MQTT?
    /// `tunnel` (ours): how the agent reaches the relay; nil when absent (a vendor file):
    /// acquisition and uplink only, no relay link. Local-only: a pushed file cannot change it.
    public let tunnel: Tunnel?
    /// `portal` (ours): how the agent treats configuration the portal pushes; nil when absent
    /// (the defaults). Local-only, like `tunnel`.
    public let portal: Portal?

    public init(
        general: General? = nil, wifi: Wifi? = nil, ota: OTA? = nil, cellular: Cellular? = nil, can: CAN? = nil,
        serial: Serial = Serial(), mqtt: MQTT? = nil, tunnel: Tunnel? = nil, portal: Portal? = nil
    ) {
        self.general = general
        self.wifi = wifi
        self.ota = ota
        self.cellular = cellular
        self.can = can
        self.serial = serial
        self.mqtt = mqtt
        self.tunnel = tunnel
        self.portal = portal
    }

    /// Longest wait between attempts to reach the relay, the serial port or the CAN bus:
    /// `tunnel.reconnect_max`, or its default without a tunnel section.
    public var reconnectMax: Double { tunnel?.reconnectMax ?? Tunnel.defaultReconnectMax }

    /// The tunnel's mode, `"off"` without a tunnel section.
    public var tunnelMode: String { tunnel?.mode ?? "off" }

    /// `serial`: the BMS's G1 serial link.
    public struct Serial: Sendable, Equatable {
        /// EMUS: whether the G1 serial protocol is used.
        public let enabled: Bool
        /// EMUS: link type, usually "RS232" (the manual's default is null).
        public let type: String
        /// EMUS: bits per second. 57600, the G1 rate, rather than the manual's generic 250000.
        public let speed: UInt32
        /// EMUS: protocol name, "g1" (the manual's default is null).
        public let `protocol`: String
        /// Ours: the serial device the BMS is on, for example `/dev/ttyUSB0`.
        public let device: String

        public init(
            enabled: Bool = true, type: String = "RS232", speed: UInt32 = 57_600, protocol: String = "g1", device: String = "/dev/ttyUSB0"
        ) {
            self.enabled = enabled
            self.type = type
            self.speed = speed
            self.protocol = `protocol`
            self.device = device
        }
    }

    /// `tunnel` (ours): how the agent reaches the relay.
    public struct Tunnel: Sendable, Equatable {
        /// `reconnect_max`'s default, seconds; also the retry bound without a tunnel section.
        public static let defaultReconnectMax = 30.0

        /// The relay's tunnel port, `host:port`.
        public let relay: String
        /// "always": keep the control connection up; "on_demand": dial only when told to.
        public let mode: String
        /// Device certificate (PEM) issued by the relay's device CA.
        public let cert: String
        /// Its private key (PEM).
        public let key: String
        /// The relay's server CA (PEM).
        public let ca: String
        /// Seconds between keepalive pings.
        public let pingInterval: Int64
        /// Seconds of relay silence after which the connection is dropped and redialled.
        public let peerTimeout: Int64
        /// Longest wait between reconnection attempts, seconds.
        public let reconnectMax: Double
        /// Seconds between live-telemetry reports to the relay (the latest record of each
        /// kind); 0 sends none.
        public let liveTelemetryPeriod: Double
        /// Days before the certificate expires when the agent renews it; 0: only when the relay asks.
        public let renewBeforeDays: Int

        public init(
            relay: String, mode: String = "always", cert: String, key: String, ca: String,
            pingInterval: Int64 = 15, peerTimeout: Int64 = 45, reconnectMax: Double = Tunnel.defaultReconnectMax,
            liveTelemetryPeriod: Double = 30,
            renewBeforeDays: Int = 30
        ) {
            self.renewBeforeDays = renewBeforeDays
            self.liveTelemetryPeriod = liveTelemetryPeriod
            self.relay = relay
            self.mode = mode
            self.cert = cert
            self.key = key
            self.ca = ca
            self.pingInterval = pingInterval
            self.peerTimeout = peerTimeout
            self.reconnectMax = reconnectMax
        }
    }
}
