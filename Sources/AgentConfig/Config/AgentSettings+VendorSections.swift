import Foundation

extension AgentSettings {
    /// `general`: the vendor unit's connection switching, power saving and SD card. Not
    /// applicable on a gateway, where the operating system owns the network.
    public struct General: Sendable, Equatable {
        /// Keep the unit's internet connection up (no row in the manual; its example says true).
        public let alwaysConnected: Bool
        /// Milliseconds to wait before switching from a higher- to a lower-priority connection.
        public let connectionPeriod: Int
        /// Wi-Fi is preferred over cellular.
        public let wifiHasPriority: Bool
        /// The unit's power-saving mode.
        public let powerSaving: Bool
        /// JSON settings may be read from the unit's SD card.
        public let sdcardSettingsAllowed: Bool

        public init(
            alwaysConnected: Bool = true, connectionPeriod: Int = 200, wifiHasPriority: Bool = true, powerSaving: Bool = true,
            sdcardSettingsAllowed: Bool = true
        ) {
            self.alwaysConnected = alwaysConnected
            self.connectionPeriod = connectionPeriod
            self.wifiHasPriority = wifiHasPriority
            self.powerSaving = powerSaving
            self.sdcardSettingsAllowed = sdcardSettingsAllowed
        }
    }

    /// `wifi`: the vendor unit's Wi-Fi client and admin page. Not applicable on a gateway.
    public struct Wifi: Sendable, Equatable {
        /// Wi-Fi is used.
        public let enabled: Bool
        /// Seconds between connectivity scans.
        public let scanPeriod: Int
        /// Signal-strength difference (0–255) before switching to a stronger access point.
        /// Read from `rssi_threshold` (the manual's example) or `rss_i_threshold` (its table).
        public let rssiThreshold: Int
        /// `access_points`: the networks the unit may join.
        public let accessPoints: [AccessPoint]
        /// `admin_page`: the unit's local admin page; nil when absent.
        public let adminPage: AdminPage?

        public init(
            enabled: Bool = true, scanPeriod: Int = 60, rssiThreshold: Int = 10, accessPoints: [AccessPoint] = [],
            adminPage: AdminPage? = nil
        ) {
            self.enabled = enabled
            self.scanPeriod = scanPeriod
            self.rssiThreshold = rssiThreshold
            self.accessPoints = accessPoints
            self.adminPage = adminPage
        }
    }

    /// One entry of `wifi.access_points`.
    public struct AccessPoint: Sendable, Equatable {
        /// The network's name.
        public let ssid: String
        /// Its password.
        public let passkey: String

        public init(ssid: String = "", passkey: String = "") {
            self.ssid = ssid
            self.passkey = passkey
        }
    }

    /// `wifi.admin_page`.
    public struct AdminPage: Sendable, Equatable {
        /// The admin page is served.
        public let enabled: Bool
        /// Its timeout (the manual gives no unit; seconds, presumably).
        public let timeout: Int
        /// Its password.
        public let passkey: String
        /// Where the agent serves it, `host:port` (ours; the vendor unit serves it on its own
        /// access point).
        public let listen: String

        public init(enabled: Bool = true, timeout: Int = 300, passkey: String = "", listen: String = "0.0.0.0:8443") {
            self.enabled = enabled
            self.timeout = timeout
            self.passkey = passkey
            self.listen = listen
        }

        /// The listen address as host and port; nil when it is not `host:port`.
        public var listenAddress: (host: String, port: Int)? {
            guard let colon = listen.lastIndex(of: ":") else { return nil }
            let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            guard !host.isEmpty, host.utf8.count <= 253,
                host.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || ".-:".unicodeScalars.contains($0) }),
                let port = Int(listen[listen.index(after: colon)...]), (1...65_535).contains(port)
            else { return nil }
            return (host, port)
        }
    }

    /// `ota`: firmware over the air, ThingsBoard's way: the agent replaces its own executable
    /// with an image the portal assigns (`Firmware/`). Local-only: a push from the portal can
    /// neither switch it on nor change it.
    public struct OTA: Sendable, Equatable {
        /// Updates are accepted. Without an `ota` section there are none.
        public let enabled: Bool
        /// The vendor unit's update server certificate type, for example "default"; not used here.
        public let serverCert: String
        /// **Ours**: bytes asked for in one chunk; ThingsBoard sends each chunk as one MQTT message.
        public let chunkSize: Int
        /// **Ours**: milliseconds between one chunk's arrival and the next request, so telemetry
        /// keeps its share of the link.
        public let chunkIntervalMilliseconds: Int
        /// **Ours**: seconds a new version has to come up, reach the broker and report UPDATED
        /// before the previous one is put back.
        public let trialSeconds: Int
        /// **Ours**: an Ed25519 public key (PEM) every image must be signed with; empty accepts
        /// any image whose checksum matches, and the log warns at start.
        public let publicKey: String

        public init(
            enabled: Bool = true, serverCert: String = "", chunkSize: Int = 16_384, chunkIntervalMilliseconds: Int = 20,
            trialSeconds: Int = 120, publicKey: String = ""
        ) {
            self.enabled = enabled
            self.serverCert = serverCert
            self.chunkSize = chunkSize
            self.chunkIntervalMilliseconds = chunkIntervalMilliseconds
            self.trialSeconds = trialSeconds
            self.publicKey = publicKey
        }
    }

    /// `cellular`: the vendor unit's modem. Not applicable on a gateway.
    public struct Cellular: Sendable, Equatable {
        /// Mobile data is used.
        public let enabled: Bool
        /// The APN's name.
        public let apn: String
        /// The APN's user name.
        public let user: String
        /// The APN's password.
        public let password: String

        public init(enabled: Bool = true, apn: String = "Internet", user: String = "user", password: String = "pass") {
            self.enabled = enabled
            self.apn = apn
            self.user = user
            self.password = password
        }
    }
}
