/// Where the broker is, from `mqtt.uri`: `mqtt://host[:1883]` or `mqtts://host[:8883]`.
public struct BrokerAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    /// True for `mqtts://`: TLS 1.2 or newer.
    public let usesTLS: Bool

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
        var port = tls ? 8883 : 1883
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
        self.usesTLS = tls
    }

    public var description: String { "\(usesTLS ? "mqtts" : "mqtt")://\(host):\(port)" }
}
