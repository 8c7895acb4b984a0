import Foundation
import TestSupport
import XCTest

@testable import TunnelRelay

/// The store contract on PostgreSQL. Needs a server: `TEST_DATABASE_URL`
/// (`postgres://postgres@127.0.0.1:PORT/postgres`; `scripts/test` starts a throwaway one).
/// Without it the tests are skipped with the reason, except under CI (`CI=true`), where a
/// missing database fails them: CI must run both stores.
final class PostgresRelayStoreTests: XCTestCase {
    private var factory: PostgresStoreFactory!

    override func setUp() async throws {
        guard let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty else {
            throw missingPeer("PostgreSQL store tests need TEST_DATABASE_URL (scripts/test starts a throwaway server and sets it)")
        }
        factory = try await PostgresStoreFactory.make(serverURL: url)
    }

    override func tearDown() async throws {
        await factory?.tearDown()
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
        try await StoreContract.migrationsAreIdempotent(factory, expectedVersion: PostgresStoreDatabase.migrations.count)
    }

    func testUnreachableServerIsAClearError() async throws {
        do {
            _ = try await PostgresRelayStore.open(url: "postgres://postgres@127.0.0.1:1/none?sslmode=disable")
            XCTFail("opening a store on a closed port must fail")
        } catch let error as StoreError {
            guard case .unavailable(let message) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(message.contains("127.0.0.1:1/none"), message)
        }
    }
}
