import Foundation

/// A peer program the benchmark runs (socat, stunnel, sshd, ssh, tunnel-relay), with its
/// output in a log file and the command line kept for the report.
// Unchecked: every field is a constant; `Process` is not marked Sendable, but only its
// thread-safe calls (isRunning, terminate, terminationStatus, processIdentifier) are used
// after start.
final class ChildProcess: @unchecked Sendable {
    let process: Process
    /// The command line as a shell would show it.
    let commandLine: String
    let logPath: String

    private init(process: Process, commandLine: String, logPath: String) {
        self.process = process
        self.commandLine = commandLine
        self.logPath = logPath
    }

    var pid: Int32 { process.processIdentifier }

    /// Starts `executable` with `arguments`; standard output and error go to `logPath`.
    static func start(_ executable: String, _ arguments: [String], logPath: String) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw PeerSetupFailure(what: "cannot start \(executable)", detail: "\(error)")
        }
        let line = ([executable] + arguments).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        return ChildProcess(process: process, commandLine: line, logPath: logPath)
    }

    /// SIGTERM, then SIGKILL after two seconds.
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Fails with the tail of the log when the program has exited.
    func checkRunning(_ what: String) throws {
        guard !process.isRunning else { return }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw PeerSetupFailure(
            what: "\(what) exited with status \(process.terminationStatus)",
            detail: String(log.suffix(1_500)))
    }
}

/// A peer could not be set up: which one, and what its program said.
struct PeerSetupFailure: Error, CustomStringConvertible {
    let what: String
    let detail: String
    var description: String { detail.isEmpty ? what : "\(what): \(detail)" }
}
