import Foundation

/// A diagnostic bundle an administrator asked a device's agent for: requested, then received
/// (its size and SHA-256; the archive itself is read with `diagnosticContent(id:)`) or failed.
public struct DiagnosticRecord: Sendable, Equatable {
    public enum Status: String, Sendable {
        case requested, received, failed
    }

    public var id: String
    public var deviceID: String
    /// The administrator who asked.
    public var requestedBy: String
    public var requestedAt: Date
    public var status: Status
    /// When it was received or failed.
    public var finishedAt: Date?
    /// Why it failed; empty otherwise.
    public var message: String
    /// The archive's length in bytes and its SHA-256 (hex), once received.
    public var size: Int?
    public var sha256: String?

    public init(
        id: String, deviceID: String, requestedBy: String, requestedAt: Date, status: Status = .requested,
        finishedAt: Date? = nil, message: String = "", size: Int? = nil, sha256: String? = nil
    ) {
        self.id = id
        self.deviceID = deviceID
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.status = status
        self.finishedAt = finishedAt
        self.message = message
        self.size = size
        self.sha256 = sha256
    }
}

extension DiagnosticRecord {
    /// A new request's ID: `dg-` and 24 hex digits.
    static func newID() -> String { "dg-" + RandomText.hex(bytes: 12) }

    /// The text of the audit entries that name a request.
    static func auditReason(id: String) -> String { "bundle \(id)" }

    /// The request ID an audit entry's reason names (`bundle dg-…`), or nil when the text is
    /// anything else: it comes from the store, which other nodes write.
    static func id(in reason: String) -> String? {
        guard reason.hasPrefix("bundle dg-") else { return nil }
        let id = reason.dropFirst("bundle ".count)
        let digits = id.dropFirst("dg-".count)
        guard digits.count == 24, digits.allSatisfy({ $0.isHexDigit && ($0.isNumber || $0.isLowercase) }) else { return nil }
        return String(id)
    }
}

/// How a diagnostic request ended.
public enum DiagnosticOutcome: Sendable, Equatable {
    /// The archive arrived whole: its bytes and their SHA-256 (hex).
    case received(content: [UInt8], sha256: String)
    case failed(String)
}
