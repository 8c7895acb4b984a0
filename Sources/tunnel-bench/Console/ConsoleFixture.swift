import Foundation
import SharedWire
import TunnelRelay

/// What `tunnel-bench console-fixture` writes into a relay's store, decided before anything is
/// written and the same on every run (a seeded generator): customers, devices with their
/// presence, the console's users, sessions, and audit entries to make up the total, each in
/// time order so that entry IDs grow with time as in a real log.
struct ConsoleFixture {
    /// The relay node the fixture's online devices are held by; the fixture heartbeats it.
    static let peerNode = "bench-peer"
    /// The console's users: an administrator, an engineer of the first two customers and a
    /// viewer of the third.
    static let admin = "bench-admin"
    static let engineer = "bench-engineer"
    static let viewer = "bench-viewer"

    /// One thing that happened, written through the store's API.
    enum Activity {
        /// A session created and, `ending` later, ended (two audit entries).
        case session(SessionRecord, SessionEnding)
        /// An entry for an event the store does not write itself (a sign-in, a refusal).
        case entry(AuditEntry)
    }

    let customers: [CustomerRecord]
    /// Devices in registration order, each with when it was last seen (nil: never) and
    /// whether it is online now.
    let devices: [(registration: DeviceRegistration, lastSeen: Date?, online: Bool)]
    let users: [UserRecord]
    /// Sessions and other entries, oldest first.
    let activities: [Activity]

    /// Audit entries the store writes for one customer, device, user or session, as
    /// `SQLRelayStore` does (`customer.added`, `device.registered`, `user.added`, and
    /// `session.created` with `session.ended`).
    static func entriesWritten(customers: Int, devices: Int, users: Int, sessions: Int) -> Int {
        customers + devices + users + 2 * sessions
    }

    init(customerCount: Int, deviceCount: Int, sessionCount: Int, auditCount: Int, onlineShare: Double, now: Date) {
        var random = SplitMix64(seed: 17)
        let day: TimeInterval = 86_400
        let customers = (1...customerCount).map {
            CustomerRecord(
                id: String(format: "cust-%02d", $0), name: String(format: "Customer %02d", $0), createdAt: now - 120 * day)
        }
        self.customers = customers
        // Registrations 90 to 60 days ago; customers' fleets of different sizes (the first
        // customers are the larger ones, as a few large operators and a tail of small ones).
        let weights = (1...customerCount).map { 1.0 / Double($0).squareRoot() }
        let registered = now - 90 * day
        let devices = (0..<deviceCount).map { index in
            let customer = customers[random.pick(weights: weights)].id
            let at = registered + 30 * day * Double(index) / Double(deviceCount)
            let seen = random.unit() < 0.9 ? now - random.unit() * 30 * day : nil
            let registration = DeviceRegistration(
                deviceID: String(format: "bms-%05d", index), customer: customer,
                certificateSerial: String(format: "%016llx", random.next()), at: at, actor: "cli")
            // An online device was last heard from within the last two minutes.
            let online = seen != nil && random.unit() < onlineShare
            return (registration: registration, lastSeen: online ? now - random.unit() * 120 : seen, online: online)
        }
        self.devices = devices
        users = [
            UserRecord(id: Self.admin, role: .admin, customers: [], createdAt: now - 100 * day),
            UserRecord(
                id: Self.engineer, role: .engineer, customers: [customers[0].id, customers[1 % customerCount].id],
                createdAt: now - 100 * day),
            UserRecord(id: Self.viewer, role: .viewer, customers: [customers[2 % customerCount].id], createdAt: now - 100 * day),
        ]
        let fillers = max(
            0, auditCount - Self.entriesWritten(customers: customerCount, devices: deviceCount, users: users.count, sessions: sessionCount))
        activities = Self.activities(
            sessions: sessionCount, fillers: fillers, devices: devices.map(\.registration.deviceID), users: users, from: now - 60 * day,
            to: now - 60, random: &random)
    }

    /// `sessions` sessions and `fillers` other entries at random times in `from..<to`, oldest first.
    private static func activities(
        sessions: Int, fillers: Int, devices: [String], users: [UserRecord], from: Date, to: Date, random: inout SplitMix64
    ) -> [Activity] {
        let span = to.timeIntervalSince(from)
        var timed: [(Date, Activity)] = []
        timed.reserveCapacity(sessions + fillers)
        let creators = [Self.admin, Self.engineer, Self.engineer, "cli"]
        for index in 0..<sessions {
            let created = from + random.unit() * span
            let device = devices[Int(random.next() % UInt64(devices.count))]
            let mode: TunnelMessage.SessionMode = random.unit() < 0.7 ? .control : .monitor
            let session = SessionRecord(
                id: String(format: "bench%019d", index), deviceID: device, mode: mode,
                createdBy: creators[Int(random.next() % UInt64(creators.count))], createdAt: created, expiresAt: created + 300,
                tokenHash: Array(repeating: UInt8(truncatingIfNeeded: index), count: 32))
            let ending = SessionEnding(
                endedAt: created + 60 + random.unit() * 3_600, reason: "client closed the session",
                bytesToDevice: random.next() % 200_000, bytesFromDevice: random.next() % 2_000_000)
            timed.append((created, .session(session, ending)))
        }
        let actors = users.map(\.id)
        for _ in 0..<fillers {
            let at = from + random.unit() * span
            let device = devices[Int(random.next() % UInt64(devices.count))]
            let user = actors[Int(random.next() % UInt64(actors.count))]
            let entry: AuditEntry
            switch random.next() % 10 {
            case 0..<4:
                entry = AuditEntry(
                    at: at, event: .consoleSignIn, actor: user, userID: user, source: "198.51.100.\(random.next() % 250 + 1)")
            case 4..<6:
                entry = AuditEntry(
                    at: at, event: .agentRefused, actor: "relay", deviceID: device, reason: "certificate serial does not match",
                    source: "203.0.113.\(random.next() % 250 + 1):443")
            case 6..<8:
                entry = AuditEntry(
                    at: at, event: .apiKeyRefused, actor: "relay", userID: user, reason: "wrong secret",
                    source: "198.51.100.\(random.next() % 250 + 1)")
            case 8:
                entry = AuditEntry(
                    at: at, event: .certificateIssued, actor: "relay", deviceID: device,
                    reason: "certificate \(String(format: "%016llx", random.next())) issued for renewal")
            default:
                entry = AuditEntry(at: at, event: .consoleSignOut, actor: user, userID: user)
            }
            timed.append((at, .entry(entry)))
        }
        return timed.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

/// A small seeded generator (SplitMix64), so every run writes the same fixture.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<1.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// An index of `weights`, chosen in proportion to them.
    mutating func pick(weights: [Double]) -> Int {
        var target = unit() * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            target -= weight
            if target < 0 { return index }
        }
        return weights.count - 1
    }
}
