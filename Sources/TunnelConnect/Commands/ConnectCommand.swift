import AdminClient
import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ProgramSupport
import ServiceLifecycle
import SharedWire
import TunnelPKI
import TunnelTransport

/// `tunnel-connect`: attach a Control Panel to a remote BMS through the relay.
public struct ConnectCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tunnel-connect",
        abstract: "Attach to a session and expose it as a local virtual serial port, TCP port or RFC 2217 port.",
        discussion: """
            Give the connect URL printed by `tunnel-relay session open` or the admin API \
            (bmstunnel://host:port/<token>), or the bare token with --relay. The token works once. \
            Or give --device <id> with an API key (TUNNEL_API_KEY, or --api-key-file) and --relay: \
            the session is created through the relay's admin API and attached at once. Status \
            lines go to standard output; Ctrl-C ends the session.

            Choose where the Control Panel connects; a virtual serial port when none is given. \
            With --pty, the speed, data bits, parity, stop bits and flow control the Control Panel \
            sets on the virtual port are applied to the real port (a Linux virtual port itself \
            keeps only 8 data bits and no parity). With --tcp, the serial bytes go over raw TCP \
            and the port keeps the agent's settings. With --rfc2217, a Telnet COM-PORT-OPTION \
            (RFC 2217) client sets the real port's speed, framing, DTR, RTS and BREAK and is told \
            what is in effect: pyserial's serial_for_url("rfc2217://127.0.0.1:7000"), or a \
            Windows virtual COM port (com0com with hub4com's com2tcp-rfc2217). The TCP and \
            RFC 2217 ports take one client at a time, and the session stays open while it reconnects \
            (at once, too); a second client meanwhile reads one line saying why it is turned away.

            `tunnel-connect install-handler` registers this program for bmstunnel:// links \
            on a Linux desktop (see `tunnel-connect install-handler --help`).
            """,
        version: ProductVersion.number)

    @Argument(help: "Connect URL (bmstunnel://host:port/<token>) or a session token.")
    var target: String?

    @Option(help: "Relay address host:port (needed with a bare token or --device).")
    var relay: String?

    @Option(help: "Create the session for this device through the admin API (needs an API key and --relay).")
    var device: String?

    @Option(help: "With --device: control (exclusive) or monitor (read-only).")
    var mode: TunnelMessage.SessionMode = .control

    @Flag(help: "With --device: take the device over from the control session holding it (administrators).")
    var takeOver = false

    @Option(help: "With --device: the admin API's URL; https://<relay host>:8443 when absent.")
    var adminURL: String?

    @Option(help: "With --device: a file holding the API key (else the TUNNEL_API_KEY environment variable).")
    var apiKeyFile: String?

    @Option(help: "PEM file of the relay's CA; the system's trust store when absent.")
    var ca: String?

    @Option(help: "Create a virtual serial port (PTY) and symlink its path here.")
    var pty: String?

    @Option(help: "Listen on host:port and carry the serial bytes over raw TCP.")
    var tcp: String?

    @Option(help: "Listen on host:port as an RFC 2217 (Telnet COM-PORT-OPTION) serial port server.")
    var rfc2217: String?

    @Option(help: "Record the session's serial traffic to this file (JSON lines, see --print-capture).")
    var capture: String?

    @Option(help: "Print a capture file as a readable transcript (time, direction, G1 sentence, meaning) and exit.")
    var printCapture: String?

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .warning

    public init() {}

    /// With --device: a new session's connect URL from the admin API; nil without --device.
    private func sessionFromAdminAPI() async throws -> String? {
        guard let device, let relay else { return nil }
        let key: String
        if let apiKeyFile {
            guard let text = try? String(contentsOfFile: apiKeyFile, encoding: .utf8) else {
                throw ValidationError("--api-key-file \(apiKeyFile) cannot be read")
            }
            key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let text = ProcessInfo.processInfo.environment["TUNNEL_API_KEY"], !text.isEmpty {
            key = text
        } else {
            throw ValidationError("--device needs an API key: set TUNNEL_API_KEY or give --api-key-file")
        }
        let host = try RelayAddress(parsing: relay).host
        let request = SessionRequest(
            adminURL: adminURL ?? "https://\(host.contains(":") ? "[\(host)]" : host):8443", apiKey: key, deviceID: device,
            mode: mode.description,
            takeOver: takeOver)
        do {
            let opened = try await request.open(trustedCA: try ca.map(PEMFiles.certificates(at:)))
            FileHandle.standardOutput.write(
                Data("Session \(opened.id) opened for device \(opened.deviceId) (\(opened.mode)) through the admin API\n".utf8))
            return opened.url
        } catch let refused as AdminAPIClient.Refused {
            print("Session could not start: \(refused.status == nil ? "" : "the admin API refused the session: ")\(refused)")
            throw ExitCode(2)
        }
    }

    public func validate() throws {
        if [pty, tcp, rfc2217].compactMap({ $0 }).count > 1 {
            throw ValidationError("choose one of --pty, --tcp and --rfc2217")
        }
        if device != nil {
            if target != nil { throw ValidationError("give either a connect URL or token, or --device, not both") }
            if relay == nil { throw ValidationError("--device needs --relay host:port") }
            if let adminURL {
                do {
                    _ = try AdminBaseURL.checked(adminURL)
                } catch let refused as AdminBaseURL.Refused {
                    throw ValidationError("--admin-url: \(refused)")
                }
            }
        }
    }

    public func run() async throws {
        if let printCapture {
            for line in CaptureTranscript.render(try SessionCapture.read(path: printCapture)) { print(line) }
            return
        }
        LogSetup.bootstrap(level: logLevel)
        var argument = self.target
        if argument == nil { argument = try await sessionFromAdminAPI() }
        guard let argument else {
            throw ValidationError("give the connect URL or token of the session, or --device (or --print-capture <file>)")
        }
        let target = try ConnectTarget(argument: argument, relay: relay)
        let tls = try NIOSSLContext(configuration: TLSPolicy.client(trustedCA: try ca.map(PEMFiles.certificates(at:))))
        let endpoint: any LocalEndpoint =
            try tcp.map { TCPEndpoint(address: try RelayAddress(parsing: $0)) }
            ?? rfc2217.map { RFC2217Endpoint(address: try RelayAddress(parsing: $0)) }
            ?? PTYEndpoint(linkPath: pty)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let session = ClientSession(
            target: target, dialer: TunnelDialer(relay: target.relay, tls: tls), endpoint: endpoint, group: group,
            capture: try capture.map { try SessionCapture.start(path: $0, logger: Logger(label: "tunnel-connect")) },
            status: { line in
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            })
        let logger = Logger(label: "tunnel-connect")
        do {
            // The session ending on its own (relay or agent closed it) ends the program.
            let configuration = ServiceGroupConfiguration(
                services: [.init(service: session, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            try? await group.shutdownGracefully()
            print("Session could not start: \(error)")
            throw ExitCode(2)
        }
        try? await group.shutdownGracefully()
        switch session.outcome {
        case .closedByUser, nil:
            print("Session closed.")
        case .ended(let code, let message):
            print("Session ended: \(message.isEmpty ? code.summary : message)")
            if code != .normal { throw ExitCode(1) }
        case .lost:
            print("Session ended: the connection to the relay was lost")
            throw ExitCode(1)
        }
    }
}
