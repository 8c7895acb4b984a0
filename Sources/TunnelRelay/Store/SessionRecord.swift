import Foundation
import SharedWire

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
    /// The relay node where the client claimed the session; `nil` before the claim.
    public var clientNode: String?

    public init(
        id: String, deviceID: String, mode: TunnelMessage.SessionMode, createdBy: String,
        createdAt: Date, expiresAt: Date, tokenHash: [UInt8], claimedAt: Date? = nil, ending: SessionEnding? = nil,
        takeOver: Bool = false, clientNode: String? = nil
    ) {
        self.takeOver = takeOver
        self.clientNode = clientNode
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
    /// A control session, while another relay node runs a control session of the device: says
    /// whose. The session is ended with this reason; its token is spent.
    case busy(String)

    /// Why a claim was refused, for the audit log; `nil` for `.claimed`.
    var refusal: String? {
        switch self {
        case .claimed: nil
        case .unknown: "no session matches the token"
        case .expired: "the session token has expired"
        case .used: "the session token was already used, or its session was ended"
        case .busy(let holder): holder
        }
    }
}

/// Which sessions to list: a page of them, newest last.
public struct SessionQuery: Sendable, Equatable {
    /// Only this device's sessions.
    public var deviceID: String?
    /// Only the sessions of devices this (non-administrator) user may see.
    public var visibleTo: String?
    /// A cursor: only sessions created before this one (by creation time, then ID).
    public var beforeID: String?
    /// At most this many: the newest of those that match, returned oldest first.
    public var limit: Int
    /// Only sessions created by this user.
    public var createdBy: String?
    /// Only sessions in this state.
    public var state: State?

    /// Where a session is in its life, as the store can tell from its record.
    public enum State: String, Sendable, Equatable, CaseIterable {
        /// Created, its token not yet presented, not ended.
        case waiting
        /// Claimed by a client and not ended.
        case live
        /// Ended (by either side, a refusal or an administrator).
        case ended
    }

    public init(
        deviceID: String? = nil, visibleTo: String? = nil, beforeID: String? = nil, limit: Int = 100, createdBy: String? = nil,
        state: State? = nil
    ) {
        self.createdBy = createdBy
        self.state = state
        self.deviceID = deviceID
        self.visibleTo = visibleTo
        self.beforeID = beforeID
        self.limit = limit
    }
}
