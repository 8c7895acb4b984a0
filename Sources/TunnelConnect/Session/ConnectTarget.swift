import TunnelTransport

/// What `tunnel-connect` attaches to: a relay address and a one-time session token, given
/// as a connect URL (`bmstunnel://host:port/<token>`) or as a bare token with `--relay`.
public struct ConnectTarget: Sendable, Equatable {
    public let relay: RelayAddress
    public let token: String

    public static let scheme = "bmstunnel://"

    public init(relay: RelayAddress, token: String) {
        self.relay = relay
        self.token = token
    }

    /// Parses the argument; `relay` (from `--relay`) is required for a bare token and wins
    /// over the URL's address when given.
    public init(argument: String, relay override: String?) throws {
        if argument.hasPrefix(Self.scheme) {
            let rest = argument.dropFirst(Self.scheme.count)
            guard let slash = rest.firstIndex(of: "/") else {
                throw TargetError("connect URL \"\(argument)\" has no token after the address")
            }
            let token = String(rest[rest.index(after: slash)...])
            guard !token.isEmpty else { throw TargetError("connect URL \"\(argument)\" has an empty token") }
            let address = try override.map(RelayAddress.init(parsing:)) ?? RelayAddress(parsing: String(rest[..<slash]))
            self.init(relay: address, token: token)
        } else {
            guard let override else {
                throw TargetError("a bare token needs --relay host:port (or pass the whole bmstunnel:// URL)")
            }
            self.init(relay: try RelayAddress(parsing: override), token: argument)
        }
    }

    public struct TargetError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
