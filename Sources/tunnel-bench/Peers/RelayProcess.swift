import Crypto
import Foundation
import NIOSSL
import TunnelPKI
import TunnelRelay
import TunnelTransport
import X509

/// `tunnel-relay serve` as a process of its own (so its memory is its own), on a free loopback
/// port with a fresh data directory. The benchmark shares the relay's SQLite store (WAL, as
/// the operator's CLI does) to register devices and open sessions.
final class RelayProcess: Sendable {
    let directory: String
    let address: RelayAddress
    let process: ChildProcess
    let store: SQLiteRelayStore
    private let deviceCA: CertificateAuthority
    private let serverCA: [NIOSSLCertificate]

    private init(
        directory: String, address: RelayAddress, process: ChildProcess, store: SQLiteRelayStore,
        deviceCA: CertificateAuthority, serverCA: [NIOSSLCertificate]
    ) {
        self.directory = directory
        self.address = address
        self.process = process
        self.store = store
        self.deviceCA = deviceCA
        self.serverCA = serverCA
    }

    /// Creates the relay's CAs and store in `directory` and starts `binary serve` there.
    static func start(binary: String, directory: String, threads: Int) async throws -> RelayProcess {
        let credentials = RelayCredentials(dataDirectory: directory)
        try credentials.create(hostnames: ["localhost", "127.0.0.1"])
        let store = try await SQLiteRelayStore.open(path: directory + "/relay.sqlite")
        let port = try LoopbackPort.free()
        // The admin API, where this relay has one, stays off: it would want port 8443.
        let admin = try servesAdminAPI(binary) ? ["--admin-listen", "off"] : []
        let process = try ChildProcess.start(
            binary,
            [
                "serve", "--data-dir", directory, "--listen", "127.0.0.1:\(port)", "--threads", "\(threads)",
                "--log-level", "warning",
            ] + admin, logPath: directory + "/relay.log")
        do {
            try await LoopbackPort.waitUntilListening(port, owner: process, what: "tunnel-relay serve")
            let deviceCA = CertificateAuthority(
                certificate: try Certificate(pemEncoded: String(contentsOfFile: credentials.deviceCAPath, encoding: .utf8)),
                privateKey: try Certificate.PrivateKey(
                    pemEncoded: String(contentsOfFile: credentials.directory + "/device-ca-key.pem", encoding: .utf8)))
            return RelayProcess(
                directory: directory, address: RelayAddress(host: "127.0.0.1", port: port), process: process, store: store,
                deviceCA: deviceCA, serverCA: try PEMFiles.certificates(at: credentials.serverCAPath))
        } catch {
            await process.stop()
            try? await store.close()
            throw error
        }
    }

    /// Whether `binary serve` has an `--admin-listen` option.
    private static func servesAdminAPI(_ binary: String) throws -> Bool {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--help"]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.contains("--admin-listen")
    }

    var serverCertificatePath: String { RelayCredentials(dataDirectory: directory).serverCertificatePath }
    var serverKeyPath: String { RelayCredentials(dataDirectory: directory).serverKeyPath }
    var serverCAPath: String { RelayCredentials(dataDirectory: directory).serverCAPath }

    /// Registers `deviceID` the way `tunnel-relay device add` does, with a certificate from the
    /// relay's device CA held in memory; returns the agent's TLS context.
    func register(deviceID: String) async throws -> NIOSSLContext {
        let key = P256.Signing.PrivateKey()
        let certificate = try deviceCA.issue(
            commonName: deviceID, publicKey: Certificate.PublicKey(key.publicKey), purpose: .client, days: 30)
        try await store.addDevice(
            DeviceRecord(
                id: deviceID, customer: "bench", createdAt: Date(), certificateSerial: "\(certificate.serialNumber)"), by: "bench")
        let chain = [try NIOSSLCertificate(bytes: Array(try certificate.serializeAsPEM().pemString.utf8), format: .pem)]
        let privateKey = try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
        return try NIOSSLContext(configuration: TLSPolicy.client(trustedCA: serverCA, chain: chain, key: privateKey))
    }

    /// A client's TLS context: trusts the relay, no certificate.
    func clientTLS() throws -> NIOSSLContext {
        try NIOSSLContext(configuration: TLSPolicy.client(trustedCA: serverCA))
    }

    /// Opens a control session the way `tunnel-relay session open` does; returns its token.
    func openSession(deviceID: String) async throws -> String {
        let token = SessionToken.generate()
        let now = Date()
        try await store.createSession(
            SessionRecord(
                id: token.sessionID, deviceID: deviceID, mode: .control, createdBy: "bench", createdAt: now,
                expiresAt: now.addingTimeInterval(600), tokenHash: token.secretHash))
        return "\(token)"
    }

    /// The relay's resident memory (VmRSS of /proc/<pid>/status), in KiB.
    func residentKiB() -> Int { ProcessMemory.residentKiB(pid: process.pid) }

    func stop() async {
        await process.stop()
        try? await store.close()
    }
}
