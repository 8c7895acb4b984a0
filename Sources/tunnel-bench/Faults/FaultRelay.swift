import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real `tunnel-relay serve` in its own process, so it can be killed with SIGKILL and its
/// memory read from /proc/<pid>/status.
/// Unchecked: started and stopped by one task; others only read /proc through it.
final class FaultRelay: @unchecked Sendable {
    let binary: String
    let dataDirectory: String
    let port: Int
    let log: String
    let arguments: [String]
    private(set) var process: Process?

    init(binary: String, dataDirectory: String, port: Int, log: String, pingInterval: Int = 15, peerTimeout: Int = 45) throws {
        self.binary = binary
        self.dataDirectory = dataDirectory
        self.port = port
        self.log = log
        var arguments = [
            "serve", "--data-dir", dataDirectory, "--listen", "127.0.0.1:\(port)",
            "--public-address", "127.0.0.1:\(port)", "--ping-interval", "\(pingInterval)",
            "--peer-timeout", "\(peerTimeout)", "--log-level", "notice",
        ]
        // The admin API's default port is fixed; a benchmark relay must not take it.
        if try Self.output(binary, ["serve", "--help"]).contains("--admin-listen") {
            arguments += ["--admin-listen", "off"]
        }
        self.arguments = arguments
    }

    /// `tunnel-relay` next to this executable, or the one given.
    static func locate(_ given: String?) throws -> String {
        let path =
            given
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("tunnel-relay").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw FaultBenchFailure("no tunnel-relay binary at \(path); build it (scripts/bench-faults does) or pass --relay-binary")
        }
        return path
    }

    /// `tunnel-relay init`: CAs, server certificate for 127.0.0.1, store.
    static func initialize(binary: String, dataDirectory: String) throws {
        _ = try output(binary, ["init", "--data-dir", dataDirectory, "--hostname", "127.0.0.1", "--hostname", "localhost"])
    }

    var pid: Int32? { process?.processIdentifier }

    func start() throws {
        _ = FileManager.default.createFile(atPath: log, contents: nil)  // no-op when present
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
        self.process = process
    }

    /// Waits until a TCP connection to the port succeeds; returns when it first did.
    func waitAccepting(timeout: Duration = .seconds(30)) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let process, !process.isRunning {
                throw FaultBenchFailure("tunnel-relay exited (status \(process.terminationStatus)); see \(log)")
            }
            if Self.accepts(port: port) { return .now }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw FaultBenchFailure("tunnel-relay did not accept on 127.0.0.1:\(port) within \(timeout); see \(log)")
    }

    /// SIGKILL (no goodbye to anyone) or SIGTERM, then reaps it.
    func kill(_ signal: Int32 = SIGKILL) {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, signal)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM, SIGKILL after 10 s.
    func stop() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }

    /// VmRSS of /proc/<pid>/status, KiB.
    func residentKiB() -> Int? {
        guard let pid, let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1])
        }
        return nil
    }

    /// File descriptors the relay holds (its connections, roughly).
    func openDescriptors() -> Int? {
        guard let pid else { return nil }
        return (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    static func accepts(port: Int, host: String = "127.0.0.1") -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }

    /// Runs a short command and returns its standard output; throws with its output when it fails.
    static func output(_ binary: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw FaultBenchFailure("\(binary) \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }
}

/// Why a fault benchmark could not produce its figure.
struct FaultBenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The benchmark's folder: given, or a new temporary one removed at the end unless kept.
struct WorkFolder {
    let path: String
    let remove: Bool

    init(_ options: FaultOptions, name: String) throws {
        if let given = options.workDir {
            path = given
            remove = false
        } else {
            path =
                FileManager.default.temporaryDirectory.appendingPathComponent("tunnel-faults-\(name)-\(UUID().uuidString.prefix(8))").path
            remove = !options.keep
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanUp() {
        if remove { try? FileManager.default.removeItem(atPath: path) } else { print("  work folder kept: \(path)") }
    }
}

/// Percentiles of a sample (seconds), for the report.
struct Spread {
    let values: [Double]
    init(_ values: [Double]) { self.values = values.sorted() }
    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let index = Swift.min(values.count - 1, Swift.max(0, Int((p / 100 * Double(values.count)).rounded(.up)) - 1))
        return values[index]
    }
    var min: Double { values.first ?? .nan }
    var max: Double { values.last ?? .nan }
    var mean: Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
    var summary: String {
        String(format: "min %.2f s, median %.2f s, p90 %.2f s, max %.2f s", min, percentile(50), percentile(90), max)
    }
}
