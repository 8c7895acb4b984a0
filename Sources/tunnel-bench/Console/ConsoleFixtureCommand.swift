import ArgumentParser
import Foundation
import Logging
import TunnelRelay

/// `tunnel-bench console-fixture`: fills a relay's store (made by `tunnel-relay init`, or a
/// throwaway PostgreSQL) with a fleet for the console's benchmark (`scripts/bench-console`),
/// through the store's own API, as the relay and its commands write it: customers, devices
/// registered and seen, some online on another relay node, users, sessions, and audit
/// entries up to `--audit`. With `--hold-node` it then stays running as that other node,
/// heartbeating, so its devices stay online while the console is measured.
struct ConsoleFixtureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-fixture",
        abstract: "Fills a relay store with a fleet, users, sessions and audit entries for the console benchmark.")

    @Option(help: "The relay's data directory (its store relay.sqlite), made by `tunnel-relay init`.")
    var dataDir: String?

    @Option(help: "PostgreSQL URL of a throwaway database instead of the data directory's SQLite file.")
    var databaseURL: String?

    @Option(help: "Customers owning the devices.")
    var customers = 20

    @Option(help: "Devices registered.")
    var devices = 10_000

    @Option(help: "Sessions created and ended (two audit entries each).")
    var sessions = 5_000

    @Option(help: "Audit entries in all: what the store writes itself, then other events up to this many.")
    var audit = 100_000

    @Option(help: "Share of the devices seen that are online now, on the fixture's relay node.")
    var online = 0.2

    @Option(help: "Writes in flight at once (1 for SQLite, which takes one writer at a time).")
    var writers = 1

    @Flag(help: "Afterwards, keep the fixture's relay node alive (heartbeats) until stopped.")
    var holdNode = false

    func validate() throws {
        guard (dataDir == nil) != (databaseURL == nil) else { throw ValidationError("give one of --data-dir and --database-url") }
        guard customers >= 3 else { throw ValidationError("--customers: at least 3 (the users are scoped to the first three)") }
        guard devices >= 1, sessions >= 0, audit >= 0, writers >= 1 else {
            throw ValidationError("--devices must be positive; --sessions, --audit and --writers not negative")
        }
    }

    func run() async throws {
        var logger = Logger(label: "bench.console-fixture")
        logger.logLevel = .warning
        let store: SQLRelayStore
        if let databaseURL {
            store = try await PostgresRelayStore.open(url: databaseURL, logger: logger)
        } else {
            store = try await SQLiteRelayStore.open(path: (dataDir ?? ".") + "/relay.sqlite", logger: logger)
        }
        let now = Date()
        let fixture = ConsoleFixture(
            customerCount: customers, deviceCount: devices, sessionCount: sessions, auditCount: audit, onlineShare: online, now: now)
        let started = ContinuousClock.now
        let node = try NodeIdentity(name: ConsoleFixture.peerNode, address: "127.0.0.1:9")
        let instance = "bench-\(ProcessInfo.processInfo.processIdentifier)"
        try await store.registerNode(node, instance: instance)
        for customer in fixture.customers { try await store.addCustomer(customer, by: "cli") }
        try await inParallel(fixture.devices, writers: writers) { device in
            _ = try await store.registerDevice(device.registration)
            guard let seen = device.lastSeen else { return }
            let epoch = try await store.markOnline(
                deviceID: device.registration.deviceID, remoteAddress: "203.0.113.7:40000", agentVersion: "1.4.2",
                relayNode: ConsoleFixture.peerNode, at: seen)
            if !device.online, let epoch { _ = try await store.markOffline(deviceID: device.registration.deviceID, epoch: epoch, at: seen) }
        }
        let fleetDone = ContinuousClock.now
        for user in fixture.users { try await store.addUser(user, by: "cli") }
        try await inParallel(fixture.activities, writers: writers) { activity in
            switch activity {
            case .session(let session, let ending):
                try await store.createSession(session)
                try await store.endSession(id: session.id, ending: ending)
            case .entry(let entry):
                try await store.appendAudit(entry)
            }
        }
        let finished = ContinuousClock.now
        let onlineCount = fixture.devices.filter(\.online).count
        // Written at once (not through print's buffer): the benchmark waits for these lines.
        say(
            "Fixture: \(customers) customers, \(devices) devices (\(onlineCount) online on node \(ConsoleFixture.peerNode)), "
                + "\(fixture.users.count) users, \(sessions) sessions, \(audit) audit entries; "
                + String(
                    format: "fleet %.1f s, sessions and audit %.1f s",
                    (fleetDone - started).seconds, (finished - fleetDone).seconds))
        guard holdNode else { return try await store.close() }
        say("Holding node \(ConsoleFixture.peerNode) (heartbeat every 3 s) until stopped")
        while true {
            _ = try? await store.heartbeatNode(node, instance: instance)
            try await Task.sleep(for: NodeLease.standard.heartbeatInterval)
        }
    }

    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Runs `write` on every item in order, `writers` at a time.
    private func inParallel<T: Sendable>(_ items: [T], writers: Int, _ write: @escaping @Sendable (T) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(writers, items.count) {
                let item = items[next]
                group.addTask { try await write(item) }
                next += 1
            }
            while try await group.next() != nil, next < items.count {
                let item = items[next]
                group.addTask { try await write(item) }
                next += 1
            }
            try await group.waitForAll()
        }
    }
}
