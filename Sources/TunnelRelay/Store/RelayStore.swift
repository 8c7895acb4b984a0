import Foundation
import SharedWire

/// What the relay remembers: devices, sessions and their one-time tokens.
///
/// One interface, several back ends (SQLite by default). Secrets are stored hashed.
public protocol RelayStore: Sendable {
    /// Brings the schema to the newest version.
    func migrate() async throws
    /// Registers a device; throws `StoreError.deviceExists` when the ID is taken.
    func addDevice(_ device: DeviceRecord) async throws
    func device(id: String) async throws -> DeviceRecord?
    func devices() async throws -> [DeviceRecord]
    /// Marks a device revoked from `at` on.
    func revokeDevice(id: String, at: Date) async throws
    func createSession(_ session: SessionRecord) async throws
    /// Claims a session with its token secret: succeeds once, before expiry, for the right secret.
    func claimSession(id: String, secretHash: [UInt8], now: Date) async throws -> SessionClaim
    func session(id: String) async throws -> SessionRecord?
    func sessions(deviceID: String?) async throws -> [SessionRecord]
    /// Records how a session ended and the bytes it carried.
    func endSession(id: String, ending: SessionEnding) async throws
    func close() async throws
}

/// A device the relay knows.
public struct DeviceRecord: Sendable, Equatable {
    /// The device ID; also the common name of its client certificate.
    public var id: String
    public var customer: String
    public var createdAt: Date
    public var revokedAt: Date?
    /// Serial number of the newest certificate issued for it (hex).
    public var certificateSerial: String

    public init(id: String, customer: String, createdAt: Date, revokedAt: Date? = nil, certificateSerial: String) {
        self.id = id
        self.customer = customer
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.certificateSerial = certificateSerial
    }

    /// Device IDs are 1 to 64 characters of letters, digits, `.`, `_` and `-`.
    public static func validate(id: String) throws {
        let allowed = id.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard (1...64).contains(id.utf8.count), allowed else {
            throw StoreError.invalid("device ID \"\(id)\" must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
    }
}

/// A Control Panel session, from creation to end.
public struct SessionRecord: Sendable, Equatable {
    public var id: String
    public var deviceID: String
    public var mode: TunnelMessage.SessionMode
    /// Who asked for it (a user or "cli").
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date
    /// SHA-256 of the token secret.
    public var tokenHash: [UInt8]
    public var claimedAt: Date?
    public var ending: SessionEnding?
    /// An administrator's control session that ends the one holding the device.
    public var takeOver: Bool

    public init(
        id: String, deviceID: String, mode: TunnelMessage.SessionMode, createdBy: String,
        createdAt: Date, expiresAt: Date, tokenHash: [UInt8], claimedAt: Date? = nil, ending: SessionEnding? = nil,
        takeOver: Bool = false
    ) {
        self.takeOver = takeOver
        self.id = id
        self.deviceID = deviceID
        self.mode = mode
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.tokenHash = tokenHash
        self.claimedAt = claimedAt
        self.ending = ending
    }
}

/// How a session ended, for the audit trail.
public struct SessionEnding: Sendable, Equatable {
    public var endedAt: Date
    public var reason: String
    public var bytesToDevice: UInt64
    public var bytesFromDevice: UInt64

    public init(endedAt: Date, reason: String, bytesToDevice: UInt64, bytesFromDevice: UInt64) {
        self.endedAt = endedAt
        self.reason = reason
        self.bytesToDevice = bytesToDevice
        self.bytesFromDevice = bytesFromDevice
    }
}

/// The outcome of presenting a session token.
public enum SessionClaim: Sendable, Equatable {
    case claimed(SessionRecord)
    case unknown
    case expired
    case used
}

/// A store operation refused for a reason the caller can report.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case deviceExists(String)
    case deviceNotFound(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .deviceExists(let id): "device \"\(id)\" is already registered"
        case .deviceNotFound(let id): "device \"\(id)\" is not registered"
        case .invalid(let message): message
        }
    }
}
