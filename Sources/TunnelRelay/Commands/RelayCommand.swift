import ArgumentParser
import ProgramSupport

/// `tunnel-relay`: the cloud side of the tunnel.
public struct RelayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tunnel-relay",
        abstract: "Relay between BMS gateway agents and Control Panel clients.",
        discussion: """
            Agents (tunnel-agent) keep a TLS control connection to the relay; engineers attach to a \
            device's serial port with a one-time session token (tunnel-connect). Start with \
            `tunnel-relay init`, register devices with `tunnel-relay device add`, run \
            `tunnel-relay serve`, and open sessions with `tunnel-relay session open`. Users, API keys \
            and the audit log live in the same store: SQLite in the data directory, or PostgreSQL \
            with --database-url when several relay nodes share it.
            """,
        version: ProductVersion.number,
        subcommands: [
            InitCommand.self, ServeCommand.self, DeviceCommand.self, SessionCommand.self, CaptureCommand.self,
            CustomerCommand.self, UserCommand.self, KeyCommand.self, AuditCommand.self, NodeCommand.self,
        ])

    public init() {}
}
