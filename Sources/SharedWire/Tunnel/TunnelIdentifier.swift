/// The one form of every identifier a peer names on the wire (session IDs in `HELLO`,
/// `OPEN_SESSION` and `CLOSE_SESSION`, the device ID of an agent's certificate): 1 to 64
/// ASCII letters, digits, `.`, `_` and `-`, not starting with `.`. Checked before the
/// identifier is used anywhere, so it can never be a path (`/`, `..`), a control character
/// or an unbounded log line, whatever a receiver does with it later.
public enum TunnelIdentifier {
    /// Longest identifier: `TunnelLimits.maxIdentifierLength`.
    public static let maxLength = TunnelLimits.maxIdentifierLength

    /// True when `text` has the identifier form.
    public static func isValid(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (1...maxLength).contains(bytes.count), bytes.first != UInt8(ascii: ".") else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    /// Throws `invalidIdentifier`, naming `field` and what was found (shortened and escaped),
    /// unless `text` has the identifier form.
    public static func check(_ text: String, field: String) throws {
        guard !isValid(text) else { return }
        throw TunnelProtocolError(
            .invalidIdentifier,
            "\(field) \(quoted(text)) is not 1–\(maxLength) characters of A–Z a–z 0–9 . _ - (not starting with .)")
    }

    /// Software names in `HELLO`: 0 to 128 printable ASCII characters.
    public static let maxSoftwareLength = 128

    /// Throws `invalidIdentifier` unless `text` is a software name `HELLO` may carry.
    public static func checkSoftware(_ text: String) throws {
        let bytes = text.utf8
        guard bytes.count > maxSoftwareLength || !bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else { return }
        throw TunnelProtocolError(
            .invalidIdentifier, "HELLO software \(quoted(text)) is not 0–\(maxSoftwareLength) printable ASCII characters")
    }

    /// `text` for an error message: at most 40 characters, non-printable ones escaped.
    static func quoted(_ text: String) -> String {
        let shown = text.unicodeScalars.prefix(40).map {
            $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : $0.escaped(asASCII: true)
        }
        return "\"" + shown.joined() + (text.unicodeScalars.count > 40 ? "…" : "") + "\""
    }
}

extension TunnelMessage.Hello {
    /// The peer's names in `HELLO`, checked before anything uses them: a data connection's
    /// session ID (and any other role's, when given) and the software name. Throws
    /// `invalidIdentifier` naming the field.
    public func checkIdentifiers() throws {
        try TunnelIdentifier.checkSoftware(software)
        if role == .agentData || role == .nodeOpen || role == .nodeData || role == .nodeWatch || role == .nodeCapture
            || !sessionID.isEmpty
        {
            try TunnelIdentifier.check(sessionID, field: "HELLO session ID")
        }
        if role == .nodeWatch {
            // A user ID: an identifier that may also hold '@'.
            let user = String(credential.map { $0 == "@" ? "_" : $0 })
            guard TunnelIdentifier.isValid(user), credential.first != "@" else {
                throw TunnelProtocolError(
                    .invalidIdentifier, "HELLO watching user \(credential.prefix(40).debugDescription) is not a user ID")
            }
        } else if role.isNode {
            try TunnelIdentifier.check(credential, field: "HELLO device ID")
        }
    }
}
