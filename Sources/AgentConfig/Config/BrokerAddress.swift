/// Where the broker is, from `mqtt.uri`: `mqtt://host[:1883]` or `mqtts://host[:8883]`.
public struct BrokerAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    /// True when the URI says `mqtts://`.
    public let isSecureScheme: Bool

    /// The port MQTT over TLS uses by convention (ThingsBoard's TLS port).
    public static let tlsPort = 8883

    /// TLS 1.2 or newer for `mqtts://`, and for port 8883 whatever the scheme: the vendor's
    /// files write `mqtt://host:8883` and mean TLS. (`AgentSettings.MQTT.usesTLS` adds
    /// configured client certificates.)
    public var usesTLS: Bool { isSecureScheme || port == Self.tlsPort }

    /// The address in `uri`, already checked by the settings reader; nil when it is not one.
    public init?(uri: String) {
        let tls: Bool
        let rest: Substring
        if uri.hasPrefix("mqtts://") {
            tls = true
            rest = uri.dropFirst("mqtts://".count)
        } else if uri.hasPrefix("mqtt://") {
            tls = false
            rest = uri.dropFirst("mqtt://".count)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" }
        var host = Substring(authority)
        var port = tls ? Self.tlsPort : 1883
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()) else { return nil }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let number = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = number
        }
        guard !host.isEmpty, (1...65_535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
        self.isSecureScheme = tls
    }

    public var description: String { "\(isSecureScheme ? "mqtts" : "mqtt")://\(host):\(port)" }
}
