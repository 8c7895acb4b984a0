import Foundation

/// The admin API's base URL, checked before anything is sent: `https://` to any host, plain
/// `http://` only to this machine (a loopback address or `localhost`), because an API key or
/// a provisioning secret must not cross a network in the clear.
public enum AdminBaseURL {
    /// Why a base URL is refused.
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    /// `text` without a trailing slash, when it may be used; throws `Refused` naming what is wrong.
    public static func checked(_ text: String) throws -> String {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw Refused(description: "admin URL \"\(text)\" is not a URL such as https://relay.example.com:8443")
        }
        switch scheme {
        case "https":
            break
        case "http":
            guard isLoopback(host) else {
                throw Refused(
                    description:
                        "admin URL \"\(text)\": plain http is allowed only to this machine (127.0.0.0/8, ::1, localhost); use https:// so the API key does not cross the network in the clear"
                )
            }
        default:
            throw Refused(description: "admin URL \"\(text)\": expected https:// (or http:// to this machine), found \(scheme)://")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// Whether `host` names this machine: `localhost`, an IPv4 address in 127.0.0.0/8, or ::1.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" || bare == "0:0:0:0:0:0:0:1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}
