import ArgumentParser
import Foundation
import SharedWire

/// `tunnel-relay session …`: open and list Control Panel sessions.
struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "Open and list Control Panel sessions.",
        subcommands: [Open.self, List.self])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a session for a device and print its one-time token and connect URL.")

        @OptionGroup var options: RelayOptions

        @Option(help: "Device ID.")
        var device: String

        @Option(help: "control (exclusive, read/write) or monitor (read-only).")
        var mode: String = "control"

        @Option(help: "Seconds the token stays valid.")
        var ttl: Int = 300

        @Option(help: "host:port clients use to reach the relay.")
        var publicAddress: String = "localhost:7443"

        @Option(help: "Who the session is for, for the audit log; a registered user's role and customers are enforced.")
        var user: String = "cli"

        @Flag(help: "Print only the connect URL.")
        var urlOnly = false

        @Flag(help: "Take the device over: the control session holding it ends, and its client is told why. For administrators (the relay host's operator).")
        var takeOver = false

        func run() async throws {
            guard let sessionMode = TunnelMessage.SessionMode(name: mode) else {
                throw ValidationError("mode \"\(mode)\" is not control or monitor")
            }
            guard ttl > 0 else { throw ValidationError("--ttl must be positive, got \(ttl)") }
            if takeOver && sessionMode != .control { throw ValidationError("--take-over is for control sessions") }
            let token = SessionToken.generate()
            let now = Date()
            try await options.withStore { store in
                guard let record = try await store.device(id: device) else { throw StoreError.deviceNotFound(device) }
                guard record.isAccepted else {
                    throw CommandRefusal("device \(device) is \(record.registeredAt == nil ? "reset" : "revoked")")
                }
                if let refusal = try await refusal(by: store, on: record, mode: sessionMode) {
                    try await store.appendAudit(AuditEntry(
                        at: now, event: .sessionRefused, actor: cliActor, userID: user, deviceID: device, mode: sessionMode,
                        reason: refusal))
                    throw CommandRefusal(refusal)
                }
                try await store.createSession(SessionRecord(
                    id: token.sessionID, deviceID: device, mode: sessionMode, createdBy: user,
                    createdAt: now, expiresAt: now.addingTimeInterval(Double(ttl)), tokenHash: token.secretHash,
                    takeOver: takeOver))
            }
            let url = "bmstunnel://\(publicAddress)/\(token)"
            if urlOnly {
                print(url)
            } else {
                print("session: \(token.sessionID)")
                print("device:  \(device) (\(sessionMode))")
                print("token:   \(token)")
                print("expires: \(ISO8601DateFormatter().string(from: now.addingTimeInterval(Double(ttl))))")
                print("url:     \(url)")
            }
        }

        /// Why `user` may not open this session, when they are a registered user whose role or
        /// customers do not allow it; names that are not users are the operator's own labels.
        private func refusal(
            by store: any RelayStore, on device: DeviceRecord, mode: TunnelMessage.SessionMode
        ) async throws -> String? {
            guard let account = try await store.user(id: user) else { return nil }
            if !account.mayOpen(mode, on: device) {
                return account.maySee(device)
                    ? "user \(user) has role \(account.role), which may not open \(mode) sessions"
                    : "user \(user) may not reach device \(device.id) of customer \(device.customer)"
            }
            if takeOver && !account.mayTakeOver {
                return "only administrators may take a device over; user \(user) has role \(account.role)"
            }
            return nil
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sessions, newest last.")

        @OptionGroup var options: RelayOptions

        @Option(help: "Only this device's sessions.")
        var device: String?

        func run() async throws {
            for session in try await options.withStore({ try await $0.sessions(deviceID: device) }) {
                let state: String
                if let ending = session.ending {
                    state = "ended \(ending.endedAt): \(ending.reason); \(ending.bytesToDevice) B to device, \(ending.bytesFromDevice) B from device"
                } else if session.claimedAt != nil {
                    state = "in use"
                } else {
                    state = "waiting for its client until \(session.expiresAt)"
                }
                print("\(session.id)\t\(session.deviceID)\t\(session.mode)\t\(session.createdBy)\t\(state)")
            }
        }
    }
}
