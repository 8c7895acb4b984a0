import Foundation
import NIOPosix
import SQLiteNIO
import XCTest

@testable import TunnelRelay

/// The store contract on the embedded SQLite store, and its upgrade from older files.
final class SQLiteRelayStoreTests: XCTestCase {
    private var factory: SQLiteStoreFactory!

    override func setUp() async throws {
        factory = try SQLiteStoreFactory()
    }

    override func tearDown() async throws {
        await factory.tearDown()
    }

    func testRegisterOnceThenReset() async throws { try await StoreContract.registerOnceThenReset(factory) }
    func testConcurrentRegistrationsOneWins() async throws { try await StoreContract.concurrentRegistrationsOneWins(factory) }
    func testRevokeAndCredentialChange() async throws { try await StoreContract.revokeAndCredentialChange(factory) }
    func testCertificateOfferAndPromotion() async throws { try await StoreContract.certificateOfferAndPromotion(factory) }
    func testPresence() async throws { try await StoreContract.presence(factory) }
    func testAStaleOwnersWritesLoseToANewerClaim() async throws { try await StoreContract.presenceEpochs(factory) }
    func testANodePastItsLeaseShowsItsAgentsOffline() async throws { try await StoreContract.nodeLease(factory) }
    func testANodeStartingResetsOnlyItsOwnAgents() async throws { try await StoreContract.perNodeReset(factory) }
    func testSilentNodesAreForgotten() async throws { try await StoreContract.silentNodesAreForgotten(factory) }
    func testSessionTokenSingleUse() async throws { try await StoreContract.sessionTokenSingleUse(factory) }
    func testOneControlSessionPerDeviceAcrossNodes() async throws { try await StoreContract.controlSessionsAcrossNodes(factory) }
    func testSessionEndIsRecordedOnce() async throws { try await StoreContract.sessionEndIsRecordedOnce(factory) }
    func testRolesAndCustomerScoping() async throws { try await StoreContract.rolesAndCustomerScoping(factory) }
    func testAPIKeysVerifyAndRevoke() async throws { try await StoreContract.apiKeysVerifyAndRevoke(factory) }
    func testAuditQueries() async throws { try await StoreContract.auditQueries(factory) }
    func testResetDeviceStaysInItsCustomer() async throws { try await StoreContract.resetDeviceStaysInItsCustomer(factory) }
    func testEndedSessionCannotBeClaimed() async throws { try await StoreContract.endedSessionCannotBeClaimed(factory) }
    func testAuditCursors() async throws { try await StoreContract.auditCursors(factory) }
    func testSessionPages() async throws { try await StoreContract.sessionPages(factory) }
    func testOutOfRangeNumbersAreClamped() async throws { try await StoreContract.outOfRangeNumbersAreClamped(factory) }
    func testDiagnosticsEndOnceAndAreBounded() async throws { try await StoreContract.diagnosticsEndOnceAndAreBounded(factory) }
    func testConsolePasswordsAndSessions() async throws { try await StoreContract.consolePasswordsAndSessions(factory) }
    func testFleetPages() async throws { try await StoreContract.fleetPages(factory) }
    func testFollowedWritesAreAnnouncedWhereTheStoreCan() async throws { try await StoreContract.changesAreAnnounced(factory) }

    func testMigrationsAreIdempotent() async throws {
        try await StoreContract.migrationsAreIdempotent(factory, expectedVersion: SQLiteStoreDatabase.migrations.count)
    }

    func testBothStoresHaveTheSameSchemaVersions() {
        XCTAssertEqual(SQLiteStoreDatabase.migrations.count, PostgresStoreDatabase.migrations.count)
    }

    /// SQLite keeps whatever kind of value it is given: a column holding another kind than
    /// the schema's (an operator's edit) is an error naming the column, where the SQLite store
    /// used to read a default (`online = 'yes'` read as offline, a text time as 1970).
    func testAValueOfTheWrongKindIsAnErrorNotADefault() async throws {
        let store = try await factory.open()
        try await store.registerDevice(StoreContract.registration("pack-1", serial: "01"))
        try await factory.execute("UPDATE devices SET online = 'yes' WHERE id = 'pack-1'")
        do {
            _ = try await store.device(id: "pack-1")
            XCTFail("a text in the online column must not read as a boolean")
        } catch let error as StoreError {
            guard case .unavailable(let message) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(message.contains("\"online\""), message)
        }
    }

    /// A file written by the relay before users and the audit log existed (schema 2) keeps
    /// its devices and sessions, and its devices count as registered.
    func testUpgradesAVersion2File() async throws {
        let old = try await SQLiteConnection.open(
            storage: .file(path: factory.path), threadPool: .singleton, on: MultiThreadedEventLoopGroup.singleton.any())
        _ = try await old.query("CREATE TABLE schema_version (version INTEGER NOT NULL)", [])
        for (index, script) in SQLiteStoreDatabase.migrations.prefix(2).enumerated() {
            for statement in script.split(separator: ";") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                _ = try await old.query(String(statement), [])
            }
            _ = try await old.query("INSERT INTO schema_version (version) VALUES (?)", [.integer(index + 1)])
        }
        let createdAt = StoreContract.t0.milliseconds
        _ = try await old.query(
            "INSERT INTO devices (id, customer, created_at, certificate_serial) VALUES ('old-1', 'legacy', ?, 'ab')",
            [.integer(createdAt)])
        _ = try await old.query(
            """
            INSERT INTO sessions (id, device_id, mode, created_by, created_at, expires_at, token_hash, take_over)
            VALUES ('s-old', 'old-1', 1, 'cli', ?, ?, x'00', 0)
            """, [.integer(createdAt), .integer(createdAt + 60_000)])
        try await old.close()

        let store = try await factory.open()
        let version = try await store.schemaVersion()
        XCTAssertEqual(version, SQLiteStoreDatabase.migrations.count)
        let device = try await store.device(id: "old-1")
        XCTAssertEqual(device?.registeredAt, StoreContract.t0)
        XCTAssertEqual(device?.isAccepted, true)
        let customers = try await store.customers().map(\.id)
        XCTAssertEqual(customers, ["legacy"])
        let session = try await store.session(id: "s-old")
        XCTAssertEqual(session?.createdBy, "cli")
        await assertThrows(StoreError.deviceExists("old-1")) {
            try await store.registerDevice(StoreContract.registration("old-1", serial: "cd"))
        }
    }
}
