import ArgumentParser
import Foundation
import SharedWire

/// `tunnel-relay session …`: open and list Control Panel sessions.
struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "Open, list and end Control Panel sessions.",
        subcommands: [Open.self, List.self, End.self])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a session for a device and print its one-time token and connect URL.")

        @OptionGroup var options: RelayOptions

        @Option(help: "Device ID.")
        var device: String

        @Option(help: "control (exclusive, read/write) or monitor (read-only).")
        var mode: TunnelMessage.SessionMode = .control

        @Option(help: "Seconds the token stays valid.")
        var ttl: Int = 300

        @Option(help: "host:port clients use to reach the relay.")
        var publicAddress: String = "localhost:7443"

        @Option(help: "Who the session is for, for the audit log; a registered user's role and customers are enforced.")
        var user: String = "cli"

        @Flag(help: "Print only the connect URL.")
        var urlOnly = false

        @Flag(
            help:
                "Take the device over: the control session holding it ends, and its client is told why. For administrators (the relay host's operator)."
        )
        var takeOver = false

        func run() async throws {
            guard ttl > 0 else { throw ValidationError("--ttl must be positive, got \(ttl)") }
            if takeOver && mode != .control { throw ValidationError("--take-over is for control sessions") }
            let request = SessionIssuer.Request(
                deviceID: device, mode: mode, ttl: ttl, userID: user, takeOver: takeOver, publicAddress: publicAddress)
            let issued: SessionIssuer.Issued
            do {
                issued = try await options.withStore { store in
                    // A registered user's role and customers apply; other names are the operator's labels.
                    try await SessionIssuer.issue(request, account: try await store.user(id: user), store: store)
                }
            } catch let refusal as SessionIssuer.Refusal {
                throw CommandRefusal(refusal.description)
            }
            if urlOnly {
                print(issued.url)
            } else {
                print("session: \(issued.token.sessionID)")
                print("device:  \(device) (\(mode))")
                print("token:   \(issued.token)")
                print("expires: \(ISO8601DateFormatter().string(from: issued.record.expiresAt))")
                print("url:     \(issued.url)")
            }
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
                    state =
                        "ended \(ending.endedAt): \(ending.reason); \(ending.bytesToDevice) B to device, \(ending.bytesFromDevice) B from device"
                } else if session.claimedAt != nil {
                    state = "in use"
                } else {
                    state = "waiting for its client until \(session.expiresAt)"
                }
                print("\(session.id)\t\(session.deviceID)\t\(session.mode)\t\(session.createdBy)\t\(state)")
            }
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a session: a waiting one's token stops working; a running one is closed by the relay within 2 s.")

        @OptionGroup var options: RelayOptions

        @Argument(help: "Session ID (see `session list`).")
        var sessionID: String

        func run() async throws {
            let reason = "ended by the relay's operator"
            let state = try await options.withStore { store -> String in
                guard let session = try await store.session(id: sessionID) else { throw CommandRefusal("no session \(sessionID)") }
                switch try await SessionEnder.end(session, reason: reason, actor: cliActor, store: store) {
                case .alreadyEnded: return "had already ended"
                case .closedHere, .requested:
                    return session.claimedAt == nil ? "ended; its token no longer works" : "is running; the relay ends it within seconds"
                }
            }
            print("Session \(sessionID) \(state)")
        }
    }
}
