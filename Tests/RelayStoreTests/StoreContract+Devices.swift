import Foundation
import SharedWire
import TunnelRelay
import XCTest

/// The behaviour every `RelayStore` promises, written once and run against each back end.
enum StoreContract {
    /// A fixed start time at the stores' precision (milliseconds).
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func registration(_ id: String, serial: String, at: Date = t0, customer: String = "acme") -> DeviceRegistration {
        DeviceRegistration(deviceID: id, customer: customer, certificateSerial: serial, at: at, actor: "alice", source: "192.0.2.7:50000")
    }

    static func registerOnceThenReset(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        let first = try await store.registerDevice(registration("pack-1", serial: "01"))
        XCTAssertEqual(first.registeredAt, t0)
        XCTAssertEqual(first.certificateSerial, "01")
        XCTAssertTrue(first.isAccepted)
        let customers = try await store.customers().map(\.id)
        XCTAssertEqual(customers, ["acme"], "registration creates the device's customer")

        await assertThrows(StoreError.deviceExists("pack-1")) {
            try await store.registerDevice(registration("pack-1", serial: "02", at: t0 + 1))
        }
        let kept = try await store.device(id: "pack-1")
        XCTAssertEqual(kept?.certificateSerial, "01", "a refused registration changes nothing")

        let reset = try await store.resetDevice(id: "pack-1", at: t0 + 10, by: "root")
        XCTAssertNil(reset.registeredAt)
        XCTAssertEqual(reset.certificateSerial, "")
        XCTAssertEqual(reset.revokedAt, t0 + 10, "a reset device is refused until it registers again")
        XCTAssertFalse(reset.isAccepted)
        await assertThrows(StoreError.deviceNotFound("nobody")) { try await store.resetDevice(id: "nobody", at: t0, by: "root") }

        let again = try await store.registerDevice(registration("pack-1", serial: "03", at: t0 + 20))
        XCTAssertEqual(again.registeredAt, t0 + 20)
        XCTAssertNil(again.revokedAt)
        XCTAssertEqual(again.createdAt, t0, "the device keeps its first-seen time")
        XCTAssertTrue(again.isAccepted)
        await assertThrows(StoreError.deviceExists("pack-1")) {
            try await store.registerDevice(registration("pack-1", serial: "04", at: t0 + 30))
        }

        let audit = try await store.auditEntries(AuditQuery(deviceID: "pack-1"))
        XCTAssertEqual(
            audit.map(\.event),
            [
                .deviceRegistered, .registrationRefused, .deviceReset, .deviceRegistered, .registrationRefused,
            ])
        XCTAssertEqual(audit[1].source, "192.0.2.7:50000")
        XCTAssertEqual(audit[1].actor, "alice")
        XCTAssertEqual(audit[2].actor, "root")
        XCTAssertTrue(audit[2].reason.contains("01"), "the reset names the withdrawn certificate: \(audit[2].reason)")
    }

    static func concurrentRegistrationsOneWins(_ factory: some StoreFactory) async throws {
        // Two handles, as two relay processes: the race is decided by the database, not by one
        // process's own ordering.
        let stores = [try await factory.open(), try await factory.open()]
        for round in 0..<8 {
            let id = "race-\(round)"
            let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for contender in 0..<6 {
                    let store = stores[contender % 2]
                    group.addTask {
                        do {
                            _ = try await store.registerDevice(registration(id, serial: "s\(contender)"))
                            return ("s\(contender)", true)
                        } catch StoreError.deviceExists {
                            return ("s\(contender)", false)
                        }
                    }
                }
                return try await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
            }
            let winners = outcomes.filter(\.1).map(\.0)
            XCTAssertEqual(winners.count, 1, "exactly one registration of \(id) wins: \(outcomes)")
            let stored = try await stores[1].device(id: id)
            XCTAssertEqual(stored?.certificateSerial, winners.first, "the stored credential is the winner's")
            let audit = try await stores[0].auditEntries(AuditQuery(deviceID: id))
            XCTAssertEqual(audit.filter { $0.event == .deviceRegistered }.count, 1)
            XCTAssertEqual(audit.filter { $0.event == .registrationRefused }.count, 5)
        }
    }

    static func revokeAndCredentialChange(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerDevice(registration("pack-2", serial: "aa"))
        try await store.replaceCertificate(deviceID: "pack-2", serial: "bb", at: t0 + 1, by: "root")
        let renewed = try await store.device(id: "pack-2")
        XCTAssertEqual(renewed?.certificateSerial, "bb")
        try await store.revokeDevice(id: "pack-2", at: t0 + 2, by: "root")
        try await store.revokeDevice(id: "pack-2", at: t0 + 3, by: "root")
        let revoked = try await store.device(id: "pack-2")
        XCTAssertEqual(revoked?.revokedAt, t0 + 2, "the first revocation time stays")
        XCTAssertEqual(revoked?.isAccepted, false)
        await assertThrows(StoreError.deviceExists("pack-2")) {
            try await store.registerDevice(registration("pack-2", serial: "cc", at: t0 + 4))
        }
        await assertThrows(StoreError.deviceNotFound("ghost")) { try await store.revokeDevice(id: "ghost", at: t0, by: "root") }
        await assertThrows(StoreError.deviceNotFound("ghost")) {
            try await store.replaceCertificate(deviceID: "ghost", serial: "dd", at: t0, by: "root")
        }
        let events = try await store.auditEntries(AuditQuery(deviceID: "pack-2")).map(\.event)
        XCTAssertEqual(events, [.deviceRegistered, .credentialChanged, .deviceRevoked, .deviceRevoked, .registrationRefused])
        await assertThrows(StoreError.invalid("device ID \"bad id\" must be 1 to 64 letters, digits, '.', '_' or '-'")) {
            try await store.registerDevice(registration("bad id", serial: "01"))
        }
    }

    /// Renewal: an offered certificate is accepted next to the current one until promoted,
    /// after which only it is; promotion happens once and only for the serial on offer.
    static func certificateOfferAndPromotion(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerDevice(registration("pack-3", serial: "aa"))
        try await store.offerCertificate(deviceID: "pack-3", serial: "bb", at: t0 + 1, by: "relay")
        let offered = try await store.device(id: "pack-3")
        XCTAssertEqual(offered?.certificateSerial, "aa")
        XCTAssertEqual(offered?.pendingCertificateSerial, "bb")
        XCTAssertEqual(
            offered.map {
                [$0.accepts(certificateSerial: "aa"), $0.accepts(certificateSerial: "bb"), $0.accepts(certificateSerial: "cc")]
            }, [true, true, false])

        let wrong = try await store.promoteCertificate(deviceID: "pack-3", serial: "cc", at: t0 + 2, by: "relay")
        XCTAssertFalse(wrong, "only the serial on offer is promoted")
        let promoted = try await store.promoteCertificate(deviceID: "pack-3", serial: "bb", at: t0 + 2, by: "relay")
        XCTAssertTrue(promoted)
        let again = try await store.promoteCertificate(deviceID: "pack-3", serial: "bb", at: t0 + 3, by: "relay")
        XCTAssertFalse(again, "a promotion happens once")
        let renewed = try await store.device(id: "pack-3")
        XCTAssertEqual(renewed?.certificateSerial, "bb")
        XCTAssertEqual(renewed?.pendingCertificateSerial, "")
        XCTAssertEqual(renewed?.accepts(certificateSerial: "aa"), false, "the previous certificate is refused once the new one is current")

        // An offer is withdrawn by a reset, and a reset or revoked device gets none.
        try await store.offerCertificate(deviceID: "pack-3", serial: "cc", at: t0 + 4, by: "relay")
        try await store.resetDevice(id: "pack-3", at: t0 + 5, by: "root")
        let reset = try await store.device(id: "pack-3")
        XCTAssertEqual(reset?.pendingCertificateSerial, "")
        await assertThrows(StoreError.deviceNotFound("pack-3")) {
            try await store.offerCertificate(deviceID: "pack-3", serial: "dd", at: t0 + 6, by: "relay")
        }
        let events = try await store.auditEntries(AuditQuery(deviceID: "pack-3")).map(\.event)
        XCTAssertEqual(events, [.deviceRegistered, .certificateIssued, .credentialChanged, .certificateIssued, .deviceReset])
    }

    static func presence(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        for name in ["node-a", "node-b", "node-c"] {
            try await store.registerNode(try NodeIdentity(name: name, address: "\(name):7443"), instance: "i-\(name)")
        }
        try await store.registerDevice(registration("pack-3", serial: "01"))
        let fresh = try await store.device(id: "pack-3")
        XCTAssertEqual(fresh?.presence, DevicePresence())
        let epochA = try await store.markOnline(
            deviceID: "pack-3", remoteAddress: "198.51.100.4:40000", agentVersion: "tunnel-agent/1.0", relayNode: "node-a",
            at: t0 + 1)
        XCTAssertEqual(epochA, 1)
        try await store.markSeen(deviceID: "pack-3", epoch: 1, at: t0 + 5)
        let online = try await store.device(id: "pack-3")
        XCTAssertEqual(
            online?.presence,
            DevicePresence(
                online: true, lastSeenAt: t0 + 5, remoteAddress: "198.51.100.4:40000", agentVersion: "tunnel-agent/1.0",
                relayNode: "node-a", epoch: 1))

        // The agent moved to node b; node a's late disconnect must not mark it offline.
        let epochB = try await store.markOnline(
            deviceID: "pack-3", remoteAddress: "198.51.100.4:40001", agentVersion: "tunnel-agent/1.1", relayNode: "node-b",
            at: t0 + 6)
        XCTAssertEqual(epochB, 2)
        let staleOffline = try await store.markOffline(deviceID: "pack-3", epoch: 1, at: t0 + 7)
        XCTAssertFalse(staleOffline)
        let moved = try await store.device(id: "pack-3")
        XCTAssertEqual(moved?.presence.online, true)
        XCTAssertEqual(moved?.presence.relayNode, "node-b")

        let offlineWritten = try await store.markOffline(deviceID: "pack-3", epoch: 2, at: t0 + 8)
        XCTAssertTrue(offlineWritten)
        let offline = try await store.device(id: "pack-3")
        XCTAssertEqual(offline?.presence.online, false)
        XCTAssertEqual(offline?.presence.lastSeenAt, t0 + 8)
        XCTAssertEqual(offline?.presence.agentVersion, "tunnel-agent/1.1", "offline devices keep what they last said")

        try await store.markOnline(deviceID: "pack-3", remoteAddress: "x:1", agentVersion: "v", relayNode: "node-c", at: t0 + 9)
        try await store.markNodeOffline(relayNode: "node-c", at: t0 + 10)
        let afterNode = try await store.device(id: "pack-3")
        XCTAssertEqual(afterNode?.presence.online, false)

        // The BMS firmware the agent reports is kept, online or not; a value that is not a
        // version (control characters, too long) is refused and the kept one stays.
        try await store.recordFirmwareVersion(deviceID: "pack-3", version: "2.4.1")
        try await store.recordFirmwareVersion(deviceID: "pack-3", version: "2.4.1")
        let reported = try await store.device(id: "pack-3")
        XCTAssertEqual(reported?.presence.firmwareVersion, "2.4.1")
        for bad in ["", "2.4\n<script>", String(repeating: "9", count: 65)] {
            await assertThrows(.invalid("firmware version \"\(bad)\" is not one")) {
                try await store.recordFirmwareVersion(deviceID: "pack-3", version: bad)
            }
        }
        try await store.recordFirmwareVersion(deviceID: "pack-3", version: "2.5.0-rc1")
        let updated = try await store.device(id: "pack-3")
        XCTAssertEqual(updated?.presence.firmwareVersion, "2.5.0-rc1")
    }
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<T>(
    _ expected: StoreError, file: StaticString = #filePath, line: UInt = #line, _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        XCTFail("expected \(expected), nothing was thrown", file: file, line: line)
    } catch let error as StoreError {
        XCTAssertEqual(error, expected, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(String(reflecting: error))", file: file, line: line)
    }
}
