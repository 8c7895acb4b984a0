import NIOCore

/// Where a relay listens, as `host:port`.
public struct RelayAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[v6]:port`, naming the input when it is not one.
    public init(parsing text: String) throws {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[close...].dropFirst().drop(while: { $0 == ":" })
        } else if let colon = text.lastIndex(of: ":") {
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        } else {
            throw AddressError(text: text)
        }
        guard !hostPart.isEmpty, let port = Int(portPart), (1...65_535).contains(port) else {
            throw AddressError(text: text)
        }
        self.init(host: String(hostPart), port: port)
    }

    /// True when `host` is an IP literal (TLS then checks the certificate's IP addresses).
    public var hostIsIPAddress: Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public struct AddressError: Error, CustomStringConvertible {
        public let text: String
        public var description: String { "\"\(text)\" is not an address of the form host:port" }
    }
}
