import Foundation

/// The entries the stores write themselves, built the same way by each.
extension AuditEntry {
    /// A registration, accepted or refused.
    init(_ registration: DeviceRegistration, outcome: Result<DeviceRecord, StoreError>) {
        let reason: String
        switch outcome {
        case .success: reason = "customer \(registration.customer), certificate \(registration.certificateSerial)"
        case .failure(let refusal): reason = refusal.description
        }
        let accepted = (try? outcome.get()) != nil
        self.init(
            at: registration.at, event: accepted ? .deviceRegistered : .registrationRefused, actor: registration.actor,
            deviceID: registration.deviceID, reason: reason, source: registration.source)
    }

    static func moved(deviceID: String, from: String, to: String, at: Date, actor: String) -> AuditEntry {
        AuditEntry(at: at, event: .deviceMoved, actor: actor, deviceID: deviceID, reason: "customer \(from) → \(to)")
    }

    static func reset(deviceID: String, certificateSerial: String, at: Date, actor: String) -> AuditEntry {
        AuditEntry(
            at: at, event: .deviceReset, actor: actor, deviceID: deviceID,
            reason: certificateSerial.isEmpty ? "not registered" : "certificate \(certificateSerial) withdrawn")
    }

    static func certificateOffered(deviceID: String, certificateSerial: String, at: Date, actor: String) -> AuditEntry {
        AuditEntry(
            at: at, event: .certificateIssued, actor: actor, deviceID: deviceID,
            reason: "certificate \(certificateSerial) issued for renewal")
    }

    static func credentialChanged(deviceID: String, certificateSerial: String, at: Date, actor: String) -> AuditEntry {
        AuditEntry(at: at, event: .credentialChanged, actor: actor, deviceID: deviceID, reason: "certificate \(certificateSerial)")
    }

    static func userAdded(_ user: UserRecord, actor: String) -> AuditEntry {
        let scope = user.role == .admin ? "all customers" : "customers " + user.customers.joined(separator: ", ")
        return AuditEntry(
            at: user.createdAt, event: .userAdded, actor: actor, userID: user.id, reason: "role \(user.role), \(scope)")
    }

    static func userChanged(_ user: UserRecord, before: UserRecord, at: Date, actor: String) -> AuditEntry {
        func scope(_ user: UserRecord) -> String {
            "role \(user.role), " + (user.role == .admin ? "all customers" : "customers " + user.customers.joined(separator: ", "))
        }
        return AuditEntry(at: at, event: .userChanged, actor: actor, userID: user.id, reason: "\(scope(user)) (was \(scope(before)))")
    }

    static func apiKeyCreated(_ key: APIKeyRecord, actor: String) -> AuditEntry {
        AuditEntry(at: key.createdAt, event: .apiKeyCreated, actor: actor, userID: key.userID, reason: "key \(key.id) \"\(key.name)\"")
    }

    static func sessionCreated(_ session: SessionRecord) -> AuditEntry {
        AuditEntry(
            at: session.createdAt, event: .sessionCreated, actor: session.createdBy, userID: session.createdBy,
            deviceID: session.deviceID, sessionID: session.id, mode: session.mode,
            reason: session.takeOver ? "take-over" : "")
    }

    /// A claim, or its refusal; `session` is the row the token's ID named, if any.
    static func sessionClaim(_ claim: SessionClaim, sessionID: String, session: SessionRecord?, at: Date) -> AuditEntry {
        AuditEntry(
            at: at, event: claim.refusal == nil ? .sessionClaimed : .sessionRefused, actor: "client",
            userID: session?.createdBy, deviceID: session?.deviceID, sessionID: sessionID, mode: session?.mode,
            reason: claim.refusal ?? "")
    }

    static func sessionEnded(_ session: SessionRecord, ending: SessionEnding) -> AuditEntry {
        AuditEntry(
            at: ending.endedAt, event: .sessionEnded, actor: "relay", userID: session.createdBy, deviceID: session.deviceID,
            sessionID: session.id, mode: session.mode, reason: ending.reason,
            startedAt: session.claimedAt ?? session.createdAt, bytesToDevice: ending.bytesToDevice,
            bytesFromDevice: ending.bytesFromDevice)
    }
}

extension SessionClaim {
    /// The verdict on a token before the store's conditional update: `.claimed` here means
    /// only that the token may claim the session.
    init(session: SessionRecord?, secretHash: [UInt8], now: Date) {
        guard let session, constantTimeEqual(session.tokenHash, secretHash) else {
            self = .unknown
            return
        }
        if session.claimedAt != nil || session.ending != nil {  // an ended session's token is spent too
            self = .used
        } else if session.expiresAt <= now {
            self = .expired
        } else {
            self = .claimed(session)
        }
    }
}
