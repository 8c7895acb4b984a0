import ArgumentParser
import Foundation
import Logging
import ProgramSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `tunnel-agent factory-reset`: stops a running agent, then removes the gateway's credentials,
/// queue and pushed configuration and puts the packaged settings back (`FactoryReset`).
struct FactoryResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "factory-reset",
        abstract: "Put the gateway back as it left the factory.",
        discussion: """
            Removes the device certificate and key (as settings.json names them), the provisioned \
            MQTT credentials, the telemetry queue (records not yet sent are lost) and the \
            configuration the portal pushed, and puts the packaged settings.json and \
            params_config.json back. A running agent on the same state folder is stopped first \
            (SIGTERM); under systemd it starts again in the factory state. Afterwards the gateway \
            registers again (`tunnel-agent register`) like a new unit, and an administrator must \
            reset the device on the relay too (`tunnel-relay device reset`): a device ID registers once. \
            A unit with a reset button only has to create <state-dir>/factory-reset.pending \
            (empty is enough) and restart the agent: the agent finishes the reset when it starts.
            """)

    @OptionGroup var files: AgentFileOptions

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    @Flag(help: "Only finish a reset that was asked for (a button's marker, or a reset that was cut); for systemd's ExecStartPre.")
    var ifRequested = false

    func run() throws {
        LogSetup.bootstrap(level: .notice)
        let reset = FactoryReset(paths: files.paths, defaults: files.defaults)
        if ifRequested {
            guard reset.isPending else { return }
            return try finish(reset)
        }
        let plan = reset.plan()
        if !yes {
            guard isatty(STDIN_FILENO) == 1 else {
                throw ValidationError("factory-reset asks for confirmation on a terminal; pass --yes to reset without asking")
            }
            print("This removes the device credentials \(plan.remove), the telemetry queue and every file in \(files.stateDir).")
            print("Type \"reset\" to go on: ", terminator: "")
            guard readLine()?.trimmingCharacters(in: .whitespaces) == "reset" else {
                print("Nothing was changed.")
                throw ExitCode.failure
            }
        }
        if !reset.isPending { try reset.request(plan) }
        try finish(reset)
    }

    private func finish(_ reset: FactoryReset) throws {
        let lock = try stopRunningAgent()
        let outcome = try reset.complete(logger: Logger(label: "tunnel-agent"))
        withExtendedLifetime(lock) {}
        for path in outcome.removed { print("removed  \(path)") }
        for path in outcome.restored { print("restored \(path)") }
        print("Factory reset done. Register the gateway again with `tunnel-agent register`.")
    }

    /// Takes the state folder's lock, stopping the agent that holds it (SIGTERM, then up to
    /// 30 s for it to let go). The reset itself is already requested, so even if the agent
    /// restarts first, it finishes the reset before it reads a file.
    private func stopRunningAgent() throws -> AgentLock {
        let deadline = Date().addingTimeInterval(30)
        var signalled = false
        while true {
            do {
                return try AgentLock(stateDirectory: files.stateDir)
            } catch AgentLock.Failure.held(let pid) {
                if !signalled, let pid {
                    print("Stopping the running agent (process \(pid)).")
                    kill(pid, SIGTERM)
                    signalled = true
                }
                guard Date() < deadline else {
                    throw ValidationError(
                        "the agent on \(files.stateDir) did not stop within 30 s; stop it (systemctl stop tunnel-agent) and run factory-reset again"
                    )
                }
                usleep(100_000)
            }
        }
    }
}
