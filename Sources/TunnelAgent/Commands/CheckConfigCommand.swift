import AgentConfig
import ArgumentParser

/// `tunnel-agent check-config`: checks settings.json and params_config.json and prints every
/// problem and notice; exits 0 only when both files are usable.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check settings.json and params_config.json without starting the agent.",
        discussion: """
            Prints every problem (JSON path, what was found, what is expected) and every notice \
            (keys of the vendor's hardware that do not apply on a gateway, unknown keys). Exit \
            status 0 when both files are usable, 1 otherwise. See docs/CONFIGURATION.md.
            """)

    @Option(help: "Path of settings.json.")
    var settings: String = "/etc/tunnel-agent/settings.json"

    @Option(help: "Path of params_config.json.")
    var params: String = "/etc/tunnel-agent/params_config.json"

    func run() throws {
        let outcome = ConfigFilesReport.check(settings: settings, params: params)
        print(outcome.text, terminator: "")
        if !outcome.valid { throw ExitCode.failure }
    }
}
