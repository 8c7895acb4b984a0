import Foundation

/// A device the relay knows.
public struct DeviceRecord: Sendable, Equatable {
    /// The device ID; also the common name of its client certificate.
    public var id: String
    /// The customer the device belongs to (`CustomerRecord.id`).
    public var customer: String
    /// When the ID was first seen.
    public var createdAt: Date
    /// From when the relay refuses the device (revoked, or reset and not registered again).
    public var revokedAt: Date?
    /// Serial number of the newest certificate issued for it (hex); empty after a reset.
    public var certificateSerial: String
    /// Serial number of a certificate issued for renewal and not yet in use (hex); empty when
    /// none is on offer. The relay accepts it next to the current one, and the first use (or the
    /// agent's word that it is installed) makes it the current one.
    public var pendingCertificateSerial: String
    /// When the ID last registered; `nil` after a reset until it registers again.
    public var registeredAt: Date?
    /// Whether its agent is connected, and where from.
    public var presence: DevicePresence

    public init(
        id: String, customer: String, createdAt: Date, revokedAt: Date? = nil, certificateSerial: String,
        pendingCertificateSerial: String = "", registeredAt: Date? = nil, presence: DevicePresence = DevicePresence()
    ) {
        self.id = id
        self.customer = customer
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.certificateSerial = certificateSerial
        self.pendingCertificateSerial = pendingCertificateSerial
        self.registeredAt = registeredAt
        self.presence = presence
    }

    /// Registered and not revoked: the relay accepts its agent.
    public var isAccepted: Bool { registeredAt != nil && revokedAt == nil }

    /// Whether a client certificate with this serial speaks for the device: its current one,
    /// or the one on offer for renewal. A device added without a serial accepts any
    /// certificate of the device CA.
    public func accepts(certificateSerial serial: String) -> Bool {
        certificateSerial.isEmpty || serial == certificateSerial
            || (!pendingCertificateSerial.isEmpty && serial == pendingCertificateSerial)
    }

    /// Device IDs are 1 to 64 characters of letters, digits, `.`, `_` and `-`.
    public static func validate(id: String) throws {
        guard Identifier.isValid(id) else {
            throw StoreError.invalid("device ID \"\(id)\" must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
    }
}

/// Where a device's agent is connected, as the relay nodes last reported it.
public struct DevicePresence: Sendable, Equatable {
    /// A relay node holds its control connection now, and that node's heartbeat is within
    /// its lease (`NodeLease`).
    public var online: Bool
    /// When the agent was last heard from.
    public var lastSeenAt: Date?
    /// `host:port` its control connection came from.
    public var remoteAddress: String?
    /// The software it announced in `HELLO` (`tunnel-agent/1.2.0`).
    public var agentVersion: String?
    /// The relay node that holds (or last held) its control connection.
    public var relayNode: String?
    /// The BMS firmware version its agent last reported (`DeviceFirmware`).
    public var firmwareVersion: String?
    /// How many times a control connection has claimed the device's presence; the newest
    /// claim's writes are the only ones that still apply.
    public var epoch: Int64

    public init(
        online: Bool = false, lastSeenAt: Date? = nil, remoteAddress: String? = nil, agentVersion: String? = nil,
        relayNode: String? = nil, firmwareVersion: String? = nil, epoch: Int64 = 0
    ) {
        self.epoch = epoch
        self.firmwareVersion = firmwareVersion
        self.online = online
        self.lastSeenAt = lastSeenAt
        self.remoteAddress = remoteAddress
        self.agentVersion = agentVersion
        self.relayNode = relayNode
    }
}

/// A request to register a device ID, from an agent or an operator.
public struct DeviceRegistration: Sendable, Equatable {
    public var deviceID: String
    /// The customer it belongs to; created when it does not exist yet.
    public var customer: String
    /// Serial number of the certificate issued for it (hex).
    public var certificateSerial: String
    public var at: Date
    /// Who registers it, for the audit log (a user, `cli`, or the device itself).
    public var actor: String
    /// Where the request came from, for the audit log.
    public var source: String?

    public init(
        deviceID: String, customer: String, certificateSerial: String, at: Date, actor: String, source: String? = nil
    ) {
        self.deviceID = deviceID
        self.customer = customer
        self.certificateSerial = certificateSerial
        self.at = at
        self.actor = actor
        self.source = source
    }
}

/// The rule IDs of devices, customers and users follow.
enum Identifier {
    /// 1 to 64 characters of letters, digits, `.`, `_`, `-` (and `@` when `allowAt`).
    static func isValid(_ text: String, allowAt: Bool = false) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                    || (allowAt && byte == UInt8(ascii: "@"))
            }
    }
}

extension DeviceRegistration {
    /// Why the registration was not taken, given the device row that stayed (`existing`).
    func refusal(existing: DeviceRecord?) -> StoreError {
        guard let existing, existing.registeredAt == nil, existing.customer != customer else { return .deviceExists(deviceID) }
        return .deviceOfOtherCustomer(device: deviceID, customer: existing.customer)
    }
}
