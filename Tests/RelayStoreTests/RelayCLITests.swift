import ArgumentParser
import Foundation
import TunnelRelay
import XCTest

/// The operator's commands on a relay data directory, run in-process as `tunnel-relay` would.
final class RelayCLITests: XCTestCase {
    private var directory: String!

    override func setUp() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString.prefix(8))").path
        try await relay("init", "--hostname", "127.0.0.1")
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func relay(_ arguments: String...) async throws {
        var command = try RelayCommand.parseAsRoot(arguments + ["--data-dir", directory])
        guard var asyncCommand = command as? any AsyncParsableCommand else { return try command.run() }
        try await asyncCommand.run()
    }

    private func audit(_ query: AuditQuery = AuditQuery()) async throws -> [AuditEntry] {
        let store = try await SQLiteRelayStore.open(path: directory + "/relay.sqlite")
        let entries = try await store.auditEntries(query)
        try await store.close()
        return entries
    }

    func testDeviceRegistersOnceUntilReset() async throws {
        let bundle = directory + "/bundle"
        try await relay("device", "add", "pack-1", "--customer", "acme", "--bundle", bundle)
        do {
            try await relay("device", "add", "pack-1", "--customer", "acme", "--bundle", bundle + "-2")
            XCTFail("a second registration of pack-1 must be refused")
        } catch {
            XCTAssertEqual("\(error)", StoreError.deviceExists("pack-1").description)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: bundle + "-2/device.pem"), "a refused registration writes no credential")
        try await relay("device", "reset", "pack-1")
        try await relay("device", "add", "pack-1", "--customer", "acme", "--bundle", bundle)
        try await relay("session", "open", "--device", "pack-1", "--mode", "monitor")
        try await relay("device", "revoke", "pack-1")

        let events = try await audit(AuditQuery(deviceID: "pack-1")).map(\.event)
        XCTAssertEqual(
            events,
            [
                .deviceRegistered, .registrationRefused, .deviceReset, .deviceRegistered, .sessionCreated, .deviceRevoked,
            ])
    }

    func testUsersKeysAndRoles() async throws {
        try await relay("device", "add", "pack-1", "--customer", "acme", "--bundle", directory + "/bundle")
        try await relay("customer", "add", "globex")
        try await relay("user", "add", "vic", "--role", "viewer", "--customer", "acme")
        try await relay("user", "add", "gus", "--role", "engineer", "--customer", "globex")
        try await relay("key", "create", "--user", "vic", "--name", "portal")

        for (user, mode) in [("vic", "control"), ("gus", "monitor")] {
            do {
                try await relay("session", "open", "--device", "pack-1", "--user", user, "--mode", mode)
                XCTFail("\(user) must not open a \(mode) session on pack-1")
            } catch {
                XCTAssertTrue("\(error)".contains("user \(user)"), "\(error)")
            }
        }
        try await relay("session", "open", "--device", "pack-1", "--user", "vic", "--mode", "monitor")

        let store = try await SQLiteRelayStore.open(path: directory + "/relay.sqlite")
        let keys = try await store.apiKeys(userID: "vic")
        try await store.close()
        XCTAssertEqual(keys.map(\.name), ["portal"])
        try await relay("key", "revoke", keys[0].id)

        let vic = try await audit(AuditQuery(userID: "vic")).map(\.event)
        XCTAssertEqual(vic, [.userAdded, .apiKeyCreated, .sessionRefused, .sessionCreated, .apiKeyRevoked])
        let refusedGus = try await audit(AuditQuery(userID: "gus")).filter { $0.event == .sessionRefused }
        XCTAssertEqual(refusedGus.first?.reason, "user gus may not reach device pack-1 of customer acme")
    }

    func testOptionsWithAFixedSetOfValuesRefuseATypoNamingTheValues() {
        let typos: [([String], String)] = [
            (["serve", "--log-level", "verbose"], "trace"),
            (["session", "open", "--device", "pack-1", "--mode", "read"], "monitor"),
            (["user", "add", "ann", "--role", "superuser"], "viewer"),
            (["init", "--key-type", "ed25519"], "rsa"),
            (["serve", "--proxy-protocol", "tunel"], "tunnel,admin"),
        ]
        for (arguments, aValue) in typos {
            do {
                _ = try RelayCommand.parseAsRoot(arguments + ["--data-dir", directory])
                XCTFail("\(arguments) was taken")
            } catch {
                let message = RelayCommand.message(for: error)
                XCTAssertTrue(message.contains(arguments.last!) && message.contains(aValue), "\(arguments): \(message)")
            }
        }
    }

    func testProxyProtocolOptionsAreCheckedBeforeTheRelayStarts() throws {
        let refused: [([String], String)] = [
            (["--proxy-protocol", "tunnel", "--proxy-protocol-from", "10.0.0.0/33"], "the prefix length must be a number from 0 to 32"),
            (
                ["--proxy-protocol", "admin", "--proxy-protocol-from", "10.0.0.5,relay.example"],
                "relay.example is not an IPv4 or IPv6 address"
            ),
            (["--proxy-protocol-from", "10.0.0.5/32"], "--proxy-protocol-from needs --proxy-protocol"),
        ]
        assertServeRefuses(refused)
        XCTAssertNoThrow(
            try RelayCommand.parseAsRoot(
                ["serve", "--proxy-protocol", "tunnel,admin", "--proxy-protocol-from", "10.0.0.5/32, fd00::/64", "--data-dir", directory]))
    }

    func testNodeIdentityOptionsAreCheckedBeforeTheRelayStarts() throws {
        let refused: [([String], String)] = [
            (["--node-name", "relay a"], "--node-name \"relay a\" must be 1 to 64 letters"),
            (["--node-name", "relay-a", "--node-address", "relay-a"], "--node-address \"relay-a\" must be host:port"),
            (["--node-name", "relay-a", "--node-address", "relay-a:70000"], "--node-address \"relay-a:70000\""),
        ]
        assertServeRefuses(refused)
        XCTAssertNoThrow(
            try RelayCommand.parseAsRoot(
                ["serve", "--node-name", "relay-b", "--node-address", "10.0.0.7:7443", "--data-dir", directory]))
    }

    func testTwoListenersOnOnePortAreRefusedBeforeTheRelayStarts() throws {
        let refused: [([String], String)] = [
            (
                ["--admin-listen", "127.0.0.1:9443", "--node-listen", "127.0.0.1:9443"],
                "--admin-listen 127.0.0.1:9443 and --node-listen 127.0.0.1:9443 are one port"
            ),
            (["--listen", "0.0.0.0:7443", "--admin-listen", "127.0.0.1:7443"], "--listen 0.0.0.0:7443 and --admin-listen"),
            (["--listen", "[::]:7443", "--node-listen", "10.0.0.7:7443"], "are one port: each listener needs its own"),
        ]
        assertServeRefuses(refused)
        XCTAssertNoThrow(
            try RelayCommand.parseAsRoot(
                [
                    "serve", "--listen", "10.0.0.7:7443", "--admin-listen", "127.0.0.1:7443", "--node-listen", "127.0.0.1:7444",
                    "--data-dir", directory,
                ]))
        XCTAssertNoThrow(
            try RelayCommand.parseAsRoot(["serve", "--listen", "0.0.0.0:8443", "--admin-listen", "off", "--data-dir", directory]))
    }

    /// Each `serve` command line is refused with an error containing its reason.
    private func assertServeRefuses(_ refused: [([String], String)], file: StaticString = #filePath, line: UInt = #line) {
        for (arguments, reason) in refused {
            do {
                _ = try RelayCommand.parseAsRoot(["serve"] + arguments + ["--data-dir", directory])
                XCTFail("\(arguments) was taken", file: file, line: line)
            } catch {
                let message = RelayCommand.message(for: error)
                XCTAssertTrue(message.contains(reason), "\(arguments): \(message)", file: file, line: line)
            }
        }
    }
}
