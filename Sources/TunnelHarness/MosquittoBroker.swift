import Crypto
import Foundation
import TunnelRelay
import X509

/// A real mosquitto broker (`/usr/sbin/mosquitto`) on 127.0.0.1 for tests and benchmarks, with
/// its configuration, password file, certificates, persistence and log in a temporary directory.
///
/// ```
/// let broker = try await MosquittoBroker.start(.init(users: ["device": "secret"]))
/// ... connect to 127.0.0.1:broker.port ...
/// try await broker.restart()   // same port, persistent sessions kept with `persistence: true`
/// await broker.stop()
/// ```
// Unchecked: the one mutable field, `process`, is read and written under `lock`.
public final class MosquittoBroker: @unchecked Sendable {
    /// What the broker accepts.
    public struct Configuration: Sendable {
        /// User names and passwords; when not empty, only these users may connect.
        public let users: [String: String]
        /// Serve MQTT over TLS with a freshly minted CA and server certificate.
        public let tls: Bool
        /// With `tls`, refuse clients that present no certificate signed by the CA.
        public let requireClientCertificate: Bool
        /// With `tls`, the oldest TLS version the broker accepts ("tlsv1.2", "tlsv1.3"), or nil for
        /// mosquitto's default.
        public let tlsVersion: String?
        /// Save sessions, subscriptions and queued messages on stop and load them on start.
        public let persistence: Bool

        public init(
            users: [String: String] = [:], tls: Bool = false, requireClientCertificate: Bool = false,
            tlsVersion: String? = nil, persistence: Bool = false
        ) {
            self.users = users
            self.tls = tls
            self.requireClientCertificate = requireClientCertificate
            self.tlsVersion = tlsVersion
            self.persistence = persistence
        }
    }

    public let configuration: Configuration
    /// The temporary directory holding everything; removed when the broker is released.
    public let directory: String
    /// The loopback port the broker listens on, the same after `restart()`.
    public let port: Int
    /// The certificates when `configuration.tls` is set.
    public let certificates: TLSFiles?
    public var logPath: String { directory + "/mosquitto.log" }
    private let executable: String
    private let lock = NSLock()
    private var process: Process?

    /// Starts a broker and returns once it accepts TCP connections.
    public static func start(_ configuration: Configuration = .init()) async throws -> MosquittoBroker {
        guard let executable = findExecutable() else {
            throw MosquittoBrokerError(
                "mosquitto is not installed (looked for /usr/sbin/mosquitto and on PATH); "
                    + "install the Debian package `mosquitto` (scripts/install-deps)", isNotInstalled: true)
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mosquitto-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates = configuration.tls ? try TLSFiles.mint(into: directory + "/tls") : nil
        let broker = MosquittoBroker(
            configuration: configuration, directory: directory, port: try freeLoopbackPort(),
            certificates: certificates, executable: executable)
        try broker.writeConfiguration()
        try await broker.launch()
        return broker
    }

    private init(configuration: Configuration, directory: String, port: Int, certificates: TLSFiles?, executable: String) {
        self.configuration = configuration
        self.directory = directory
        self.port = port
        self.certificates = certificates
        self.executable = executable
    }

    deinit {
        if let process, process.isRunning {
            deliver(SIGKILL, to: process)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops the broker with SIGTERM (it saves persistent state) and waits until it exited.
    public func stop() async {
        guard let process = takeProcess() else { return }
        process.terminate()
        if await !Self.waitForExit(process, seconds: 10) {
            deliver(SIGKILL, to: process)
            _ = await Self.waitForExit(process, seconds: 5)
        }
    }

    /// Kills the broker with SIGKILL, as a crash would: nothing is saved.
    public func kill() {
        guard let process = takeProcess() else { return }
        deliver(SIGKILL, to: process)
        process.waitUntilExit()
    }

    /// Stops the broker if it runs and starts it again on the same port.
    public func restart() async throws {
        await stop()
        try await launch()
    }

    /// The last `lines` lines of the broker's log.
    public func logTail(lines: Int = 20) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log at \(logPath))"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    private func takeProcess() -> Process? {
        lock.withLock {
            defer { process = nil }
            return process
        }
    }

    private func launch() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", directory + "/mosquitto.conf"]
        // mosquitto logs to stderr; append it to the log file so a restart keeps the history.
        let descriptor = open(logPath, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { throw MosquittoBrokerError("cannot open \(logPath): \(String(cString: strerror(errno)))") }
        let output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        process.standardOutput = output
        process.standardError = output
        try Self.withTerminationSignalsUnblocked { try process.run() }
        lock.withLock { self.process = process }
        let deadline = Date().addingTimeInterval(10)
        while !Self.acceptsConnections(port: port) {
            guard process.isRunning else {
                throw MosquittoBrokerError(
                    "mosquitto exited with status \(process.terminationStatus) before listening on 127.0.0.1:\(port)",
                    log: logTail())
            }
            guard Date() < deadline else {
                kill()
                throw MosquittoBrokerError("mosquitto did not listen on 127.0.0.1:\(port) within 10 s", log: logTail())
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private func writeConfiguration() throws {
        var lines = ["listener \(port) 127.0.0.1", "log_type all", "connection_messages true"]
        // Started as root, mosquitto switches to the `mosquitto` user and then cannot read the
        // key files or write the persistence file in our directory.
        if geteuid() == 0 { lines.append("user root") }
        if let certificates {
            lines += [
                "cafile \(certificates.caPath)", "certfile \(certificates.serverCertificatePath)",
                "keyfile \(certificates.serverKeyPath)",
                "require_certificate \(configuration.requireClientCertificate)",
            ]
            if let version = configuration.tlsVersion { lines.append("tls_version \(version)") }
        }
        if configuration.users.isEmpty {
            lines.append("allow_anonymous true")
        } else {
            try writePasswordFile()
            lines += ["allow_anonymous false", "password_file \(directory)/passwords"]
        }
        if configuration.persistence {
            lines += ["persistence true", "persistence_location \(directory)/"]
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
    }

    /// Runs `mosquitto_passwd -b`, which hashes each password the way the broker expects.
    private func writePasswordFile() throws {
        let path = directory + "/passwords"
        guard let passwd = Self.findExecutable(named: "mosquitto_passwd") else {
            throw MosquittoBrokerError(
                "mosquitto_passwd is not installed; it comes with the Debian package `mosquitto`", isNotInstalled: true)
        }
        for (index, (user, password)) in configuration.users.sorted(by: { $0.key < $1.key }).enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: passwd)
            process.arguments = (index == 0 ? ["-c"] : []) + ["-b", path, user, password]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = errors
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw MosquittoBrokerError("mosquitto_passwd failed for user \(user): \(text)")
            }
        }
    }

    /// The child inherits the spawning thread's signal mask, and Swift concurrency's threads
    /// block SIGTERM: unblocked only for the spawn, so that `stop()` reaches mosquitto.
    private static func withTerminationSignalsUnblocked(_ body: () throws -> Void) rethrows {
        var signals = sigset_t()
        var previous = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_UNBLOCK, &signals, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try body()
    }

    private static func waitForExit(_ process: Process, seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !process.isRunning
    }

    private static func findExecutable(named name: String = "mosquitto") -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories =
            ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/opt/homebrew/sbin"]
            + path.split(separator: ":").map(String.init)
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

extension MosquittoBroker {
    /// PEM files for a broker on 127.0.0.1: a CA, the server's certificate and key, and a
    /// client certificate and key that the CA signed.
    public struct TLSFiles: Sendable {
        public let directory: String
        public var caPath: String { directory + "/ca.pem" }
        public var serverCertificatePath: String { directory + "/server.pem" }
        public var serverKeyPath: String { directory + "/server-key.pem" }
        public var clientCertificatePath: String { directory + "/client.pem" }
        public var clientKeyPath: String { directory + "/client-key.pem" }

        /// Mints a new CA and certificates into `directory` (created if needed).
        public static func mint(into directory: String) throws -> TLSFiles {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let files = TLSFiles(directory: directory)
            let authority = try CertificateAuthority.create(commonName: "Mosquitto Test CA")
            let serverKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
            let server = try authority.issue(
                commonName: "localhost", publicKey: serverKey.publicKey,
                purpose: .server(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]), days: 30)
            let clientKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
            let client = try authority.issue(commonName: "test-device", publicKey: clientKey.publicKey, purpose: .client, days: 30)
            try write(authority.certificate.serializeAsPEM().pemString, to: files.caPath)
            try write(server.serializeAsPEM().pemString, to: files.serverCertificatePath)
            try write(serverKey.serializeAsPEM().pemString, to: files.serverKeyPath)
            try write(client.serializeAsPEM().pemString, to: files.clientCertificatePath)
            try write(clientKey.serializeAsPEM().pemString, to: files.clientKeyPath)
            return files
        }

        private static func write(_ pem: String, to path: String) throws {
            guard FileManager.default.createFile(atPath: path, contents: Data((pem + "\n").utf8)) else {
                throw MosquittoBrokerError("cannot write \(path)")
            }
        }
    }
}

/// The broker could not be started or did not come up; `log` is the tail of its log.
public struct MosquittoBrokerError: Error, CustomStringConvertible {
    public let message: String
    public let log: String?
    /// True when mosquitto itself is missing: a test should skip, saying so.
    public let isNotInstalled: Bool

    init(_ message: String, log: String? = nil, isNotInstalled: Bool = false) {
        self.message = message
        self.log = log
        self.isNotInstalled = isNotInstalled
    }

    public var description: String { log.map { "\(message)\n--- mosquitto log ---\n\($0)" } ?? message }
}

extension MosquittoBroker {
    /// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
    public static func freeLoopbackPort() throws -> Int {
        try withLoopbackSocket(port: 0) { socket, address in
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
                }
            }
            guard bound else { throw MosquittoBrokerError("cannot bind a loopback port: \(String(cString: strerror(errno)))") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }
}

extension MosquittoBroker {
    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    public static func acceptsConnections(port: Int) -> Bool {
        (try? withLoopbackSocket(port: port) { socket, address in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
        }) ?? false
    }
}

private func deliver(_ signal: Int32, to process: Process) {
    kill(process.processIdentifier, signal)
}

private func withLoopbackSocket<T>(port: Int, _ body: (Int32, inout sockaddr_in) throws -> T) throws -> T {
    #if canImport(Glibc)
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
        let socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard socket >= 0 else { throw MosquittoBrokerError("cannot open a socket: \(String(cString: strerror(errno)))") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return try body(socket, &address)
}
