import Foundation
import SharedWire

/// What the relay remembers: customers, devices and their presence, users and API keys,
/// sessions and their one-time tokens, and the audit log.
///
/// One interface, two back ends: SQLite in the data directory (the default) and PostgreSQL
/// (several relay nodes). Secrets are stored hashed. Every operation that changes who may do
/// what writes its audit entry in the same transaction as the change.
public protocol RelayStore: Sendable {
    /// Brings the schema to the newest version; each migration runs once, in a transaction.
    func migrate() async throws
    /// The newest migration applied.
    func schemaVersion() async throws -> Int
    func close() async throws

    // MARK: Customers

    /// Adds a customer; throws `StoreError.customerExists` when the ID is taken.
    func addCustomer(_ customer: CustomerRecord, by actor: String) async throws
    func customers() async throws -> [CustomerRecord]

    // MARK: Devices

    /// Registers a device ID, exactly once: succeeds when the ID is new or was reset, and
    /// otherwise throws `StoreError.deviceExists` and audits the refusal. The device's customer
    /// is created when it does not exist yet.
    @discardableResult
    func registerDevice(_ registration: DeviceRegistration) async throws -> DeviceRecord
    /// Clears a device's registration so its ID can register again; until then the relay
    /// refuses it (its `revokedAt` is set).
    @discardableResult
    func resetDevice(id: String, at: Date, by actor: String) async throws -> DeviceRecord
    /// Marks a device revoked from `at` on.
    func revokeDevice(id: String, at: Date, by actor: String) async throws
    /// Moves a device to another, existing customer (an administrator's act, audited as
    /// `device.moved`); registration never moves one. Throws `StoreError.deviceNotFound` or
    /// `.customerNotFound`.
    func moveDevice(id: String, toCustomer customer: String, at: Date, by actor: String) async throws -> DeviceRecord
    /// Records a new certificate for a registered device (a credential change); withdraws any on offer.
    func replaceCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws
    /// Records a certificate issued to a registered, not revoked device for renewal: accepted
    /// next to the current one until promoted. Replaces an earlier offer. Throws
    /// `StoreError.deviceNotFound` when the device is unknown, reset or revoked.
    func offerCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws
    /// Makes the certificate on offer with this serial the device's current one, after which
    /// the previous one is refused. False (and nothing changes) when it is not the one on offer.
    func promoteCertificate(deviceID: String, serial: String, at: Date, by actor: String) async throws -> Bool
    func device(id: String) async throws -> DeviceRecord?
    func devices() async throws -> [DeviceRecord]
    /// The devices `user` may see: all for an administrator, their customers' for the others.
    func devices(visibleTo user: UserRecord) async throws -> [DeviceRecord]

    // MARK: Presence

    /// An agent's control connection was accepted by `relayNode`: claims the device's presence
    /// and returns the claim's epoch, higher than every earlier claim's; `nil` when the device
    /// is unknown.
    @discardableResult
    func markOnline(deviceID: String, remoteAddress: String, agentVersion: String, relayNode: String, at: Date) async throws
        -> Int64?
    /// The agent of the claim `epoch` was heard from; nothing when a newer claim was made.
    func markSeen(deviceID: String, epoch: Int64, at: Date) async throws
    /// The control connection of the claim `epoch` ended; a newer claim (on this node or
    /// another) stays online. Returns whether the device went offline.
    @discardableResult
    func markOffline(deviceID: String, epoch: Int64, at: Date) async throws -> Bool
    /// Every agent `relayNode` held is offline (an operator's reset of a node).
    func markNodeOffline(relayNode: String, at: Date) async throws
    /// The BMS firmware version the device's agent reported (checked by `DeviceFirmware`);
    /// written only when it differs from the stored one.
    func recordFirmwareVersion(deviceID: String, version: String) async throws

    // MARK: Relay nodes

    /// Records a starting node by the database's clock (a row of a name seen before is taken
    /// over by `instance`), sets every agent the name held before offline, and forgets nodes
    /// silent for `NodeLease.forgottenAfter`.
    func registerNode(_ identity: NodeIdentity, instance: String) async throws
    /// The node `instance` is alive, by the database's clock. False when another process has
    /// registered the name since: this one no longer speaks for it.
    func heartbeatNode(_ identity: NodeIdentity, instance: String) async throws -> Bool
    /// A node stopping cleanly: its row goes, and its agents with it (unless another process
    /// took the name meanwhile).
    func removeNode(_ identity: NodeIdentity, instance: String) async throws
    /// Every node in the table, with its heartbeat's age by the database's clock.
    func nodes() async throws -> [NodeRecord]
    /// The address of node `name` while its lease holds (nil otherwise): one row, for pairing
    /// sessions across nodes, without `nodes()`'s count of each node's agents.
    func liveNodeAddress(name: String) async throws -> String?

    // MARK: Users and API keys

    /// Adds a user; throws `StoreError.userExists` or `StoreError.customerNotFound`.
    func addUser(_ user: UserRecord, by actor: String) async throws
    /// Gives a user another role and customers (which must exist; ignored for administrators),
    /// audited with what they were; the changed user.
    @discardableResult
    func changeUser(id: String, role: UserRole, customers: [String], at: Date, by actor: String) async throws -> UserRecord
    func user(id: String) async throws -> UserRecord?
    func users() async throws -> [UserRecord]
    /// Stores a new API key (its secret only as a hash); throws `StoreError.userNotFound`.
    func createAPIKey(_ key: APIKeyRecord, by actor: String) async throws
    func apiKeys(userID: String?) async throws -> [APIKeyRecord]
    /// Revokes a key; throws `StoreError.apiKeyNotFound`.
    func revokeAPIKey(id: String, at: Date, by actor: String) async throws
    /// Checks a presented key in constant time and notes its use.
    func verifyAPIKey(_ key: APIKey, now: Date) async throws -> APIKeyVerification

    // MARK: Sessions

    /// Stores a new session and audits its creation; throws `StoreError.deviceNotFound`.
    func createSession(_ session: SessionRecord) async throws
    /// Claims a session with its token secret: succeeds once, before expiry, for the right
    /// secret, and records `node` as the node the client is on. Claims and refusals are audited.
    func claimSession(id: String, secretHash: [UInt8], now: Date, node: String) async throws -> SessionClaim
    func session(id: String) async throws -> SessionRecord?
    /// A page of sessions (see `SessionQuery`), oldest first.
    func sessions(_ query: SessionQuery) async throws -> [SessionRecord]
    /// Records how a session ended and the bytes it carried, once, and audits it.
    func endSession(id: String, ending: SessionEnding) async throws

    // MARK: Diagnostics

    /// Records a request for a diagnostic bundle, and audits it.
    func addDiagnosticRequest(_ request: DiagnosticRecord) async throws
    /// Records how a requested bundle ended (once: a later call for the same ID changes
    /// nothing and returns false), audits it, and keeps the newest
    /// `SQLRelayStore.diagnosticsKeptPerDevice` requests of the device.
    func finishDiagnostic(id: String, outcome: DiagnosticOutcome, at: Date) async throws -> Bool
    /// The device's diagnostic requests, newest first, without their archives.
    func diagnostics(deviceID: String) async throws -> [DiagnosticRecord]
    /// The archive of a received bundle.
    func diagnosticContent(id: String) async throws -> [UInt8]?

    // MARK: Web console

    /// Sets a user's console password (its bcrypt hash), ends the user's console sessions and
    /// audits it; throws `StoreError.userNotFound`.
    func setPassword(userID: String, hash: String, at: Date, by actor: String) async throws
    /// The user's password hash; `nil` when the user has none or does not exist.
    func passwordHash(userID: String) async throws -> String?
    /// Stores a signed-in session, first deleting every session created before `expiredBefore`
    /// or idle since before `idleBefore`.
    func createConsoleSession(_ session: ConsoleSessionRecord, expiredBefore: Date, idleBefore: Date) async throws
    /// The session whose cookie token hashes to `tokenHash`.
    func consoleSession(tokenHash: [UInt8]) async throws -> ConsoleSessionRecord?
    /// Notes a request made with the session.
    func touchConsoleSession(tokenHash: [UInt8], at: Date) async throws
    /// Signs the session out (nothing when it is gone already).
    func deleteConsoleSession(tokenHash: [UInt8]) async throws
    /// The user's signed-in sessions, the most recently used first.
    func consoleSessions(userID: String) async throws -> [ConsoleSessionRecord]
    /// Signs the user out of every session but `kept`; how many ended.
    @discardableResult
    func deleteConsoleSessions(userID: String, except kept: [UInt8]) async throws -> Int
    /// One page of the devices `query.visibleTo` may see, searched, filtered and sorted.
    func fleetPage(_ query: FleetQuery) async throws -> FleetPage
    /// The devices among `ids` that exist, by ID, in one query (the console's live presence).
    func devices(ids: [String]) async throws -> [DeviceRecord]

    // MARK: Audit

    /// Appends an entry for an event the store does not see itself (a refused agent, say).
    func appendAudit(_ entry: AuditEntry) async throws
    /// Entries matching `query`, oldest first.
    func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry]
    /// Whether `followChanges` hears of other processes' writes (PostgreSQL's notifications).
    var announcesChanges: Bool { get }
    /// Calls `onChange` soon after an entry of `AuditEvent.followedByEveryNode` is written by
    /// any process, and once whenever it starts listening, until the task is cancelled; the
    /// entries themselves are read with `auditEntries`. Returns at once where
    /// `announcesChanges` is false.
    func followChanges(_ onChange: @escaping @Sendable () -> Void) async
}

extension RelayStore {
    /// Registers a device the way `tunnel-relay device add` does; throws
    /// `StoreError.deviceExists` when the ID is registered.
    public func addDevice(_ device: DeviceRecord, by actor: String = "cli") async throws {
        try await registerDevice(
            DeviceRegistration(
                deviceID: device.id, customer: device.customer, certificateSerial: device.certificateSerial,
                at: device.createdAt, actor: actor))
    }

    /// Every session, or every session of one device, oldest first.
    public func sessions(deviceID: String?) async throws -> [SessionRecord] {
        try await sessions(SessionQuery(deviceID: deviceID, limit: Int(Int32.max)))
    }

    /// Marks a device revoked from `at` on, on behalf of the relay host's operator.
    public func revokeDevice(id: String, at: Date) async throws {
        try await revokeDevice(id: id, at: at, by: "cli")
    }
}

/// A store operation refused for a reason the caller can report.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case deviceExists(String)
    /// A reset device registering again under another customer's provisioning secret.
    case deviceOfOtherCustomer(device: String, customer: String)
    case deviceNotFound(String)
    case customerExists(String)
    case customerNotFound(String)
    case userExists(String)
    case userNotFound(String)
    case apiKeyNotFound(String)
    case invalid(String)
    /// The database could not be reached or refused the store.
    case unavailable(String)

    public var description: String {
        switch self {
        case .deviceExists(let id):
            "device \"\(id)\" is already registered; an administrator must reset it before it can register again"
        case .deviceOfOtherCustomer(let device, let customer):
            "device \"\(device)\" belongs to customer \"\(customer)\"; it registers again only with that customer's provisioning secret, or an administrator moves it first (`tunnel-relay device move`)"
        case .deviceNotFound(let id): "device \"\(id)\" is not registered"
        case .customerExists(let id): "customer \"\(id)\" already exists"
        case .customerNotFound(let id): "customer \"\(id)\" does not exist"
        case .userExists(let id): "user \"\(id)\" already exists"
        case .userNotFound(let id): "user \"\(id)\" does not exist"
        case .apiKeyNotFound(let id): "API key \"\(id)\" does not exist"
        case .invalid(let message): message
        case .unavailable(let message): "the store is unavailable: \(message)"
        }
    }
}
