import Foundation
import Hummingbird
import SharedWire

/// The admin API's JSON shapes (docs/openapi.yaml describes the same).
enum AdminResource {
    struct Device: ResponseCodable {
        let id: String
        let customer: String
        /// `registered`, `reset` (may register again) or `revoked`.
        let state: String
        let createdAt: Date
        let registeredAt: Date?
        let revokedAt: Date?
        let online: Bool
        let lastSeenAt: Date?
        let remoteAddress: String?
        let agentVersion: String?
        let relayNode: String?
        /// The BMS firmware version the agent last reported.
        let firmwareVersion: String?
        /// The newest presence claim's epoch.
        let presenceEpoch: Int64

        init(_ record: DeviceRecord) {
            id = record.id
            customer = record.customer
            // A reset withdraws the certificate too (revokedAt is set); what matters is that
            // the ID may register again.
            state = record.registeredAt == nil ? "reset" : record.revokedAt != nil ? "revoked" : "registered"
            createdAt = record.createdAt
            registeredAt = record.registeredAt
            revokedAt = record.revokedAt
            online = record.presence.online
            lastSeenAt = record.presence.lastSeenAt
            remoteAddress = record.presence.remoteAddress
            agentVersion = record.presence.agentVersion
            relayNode = record.presence.relayNode
            firmwareVersion = record.presence.firmwareVersion
            presenceEpoch = record.presence.epoch
        }
    }

    struct Session: ResponseCodable {
        let id: String
        let deviceId: String
        let mode: String
        let createdBy: String
        let createdAt: Date
        let expiresAt: Date
        let takeOver: Bool
        /// `waiting` (token not used yet), `running` or `ended`.
        let state: String
        let claimedAt: Date?
        let endedAt: Date?
        let endReason: String?
        let bytesToDevice: UInt64?
        let bytesFromDevice: UInt64?

        init(_ record: SessionRecord) {
            id = record.id
            deviceId = record.deviceID
            mode = "\(record.mode)"
            createdBy = record.createdBy
            createdAt = record.createdAt
            expiresAt = record.expiresAt
            takeOver = record.takeOver
            state = record.ending != nil ? "ended" : record.claimedAt != nil ? "running" : "waiting"
            claimedAt = record.claimedAt
            endedAt = record.ending?.endedAt
            endReason = record.ending?.reason
            bytesToDevice = record.ending?.bytesToDevice
            bytesFromDevice = record.ending?.bytesFromDevice
        }
    }

    /// A new session: what its client needs.
    struct OpenedSession: ResponseCodable {
        let id: String
        let deviceId: String
        let mode: String
        /// The one-time token; shown once, stored only hashed.
        let token: String
        let expiresAt: Date
        /// `bmstunnel://host:port/<token>`, for `tunnel-connect`.
        let url: String
    }

    /// `POST /v1/sessions`.
    struct SessionRequest: Decodable {
        static let keys: Set<String> = ["deviceId", "mode", "ttl", "takeOver"]
        let deviceId: String
        let mode: String?
        let ttl: Int?
        let takeOver: Bool?
    }

    /// `POST /v1/devices/{id}/move`.
    struct MoveRequest: Decodable {
        static let keys: Set<String> = ["customer"]
        let customer: String
    }

    /// `POST /v1/register`.
    struct RegistrationRequest: Decodable {
        static let keys: Set<String> = ["deviceId", "secret", "csr"]
        let deviceId: String
        /// The provisioning secret from `tunnel-relay device secret`.
        let secret: String
        /// The gateway's certificate signing request (PEM), common name = device ID.
        let csr: String
    }

    /// What a registered gateway receives.
    struct Registration: ResponseCodable {
        let deviceId: String
        let customer: String
        /// Its certificate (PEM), signed by the relay's device CA.
        let certificate: String
        /// The relay's server CA (PEM), for the tunnel.
        let relayCA: String
    }

    struct AuditRecord: ResponseCodable {
        let id: Int64?
        let at: Date
        let event: String
        let actor: String
        let userId: String?
        let deviceId: String?
        let sessionId: String?
        let mode: String?
        let reason: String
        let source: String?
        let startedAt: Date?
        let bytesToDevice: UInt64?
        let bytesFromDevice: UInt64?

        init(_ entry: AuditEntry) {
            id = entry.id
            at = entry.at
            event = entry.event.rawValue
            actor = entry.actor
            userId = entry.userID
            deviceId = entry.deviceID
            sessionId = entry.sessionID
            mode = entry.mode.map { "\($0)" }
            reason = entry.reason
            source = entry.source
            startedAt = entry.startedAt
            bytesToDevice = entry.bytesToDevice
            bytesFromDevice = entry.bytesFromDevice
        }
    }

    struct User: ResponseCodable {
        let id: String
        let role: String
        let customers: [String]

        init(_ record: UserRecord) {
            id = record.id
            role = record.role.rawValue
            customers = record.customers
        }
    }

    /// A relay node sharing the store, as `GET /v1/nodes` lists it.
    struct Node: ResponseCodable {
        let name: String
        let address: String
        let startedAt: Date
        let heartbeatAt: Date
        /// Seconds since its newest heartbeat, by the store's clock.
        let heartbeatAgeSeconds: Double
        /// Whether its lease holds (its agents count as online).
        let live: Bool
        /// Agents whose control connection it holds.
        let agents: Int
        /// Whether it is the node that answered.
        let answering: Bool

        init(_ record: NodeRecord, answering: String) {
            name = record.name
            address = record.address
            startedAt = record.startedAt
            heartbeatAt = record.heartbeatAt
            heartbeatAgeSeconds = (record.heartbeatAge * 1000).rounded() / 1000
            live = record.isLive
            agents = record.agents
            self.answering = record.name == answering
        }
    }

    struct Health: ResponseCodable {
        let status: String
        let checks: [String: String]?
    }
}
