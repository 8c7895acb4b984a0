import Foundation
import NIOCore

/// The TLS relay of four stunnel processes, two TLS legs: client → plain → stunnel (TLS
/// client) → stunnel (TLS server) → plain → stunnel (TLS client) → stunnel (TLS server) →
/// device. The servers hold a P-256 certificate like our relay's; the clients verify it.
enum StunnelChain {
    static func start(
        in directory: String, certificate: String, key: String, ca: String, device: DeviceServer,
        clientGroup: any EventLoopGroup
    ) async throws -> TCPChainPath {
        let stunnel = try PeerProgram.locate("stunnel4", package: "stunnel4")
        let ports = try (0..<4).map { _ in try LoopbackPort.free() }
        // Hop i listens on ports[i] and dials the next port, the last one the device.
        let targets = Array(ports.dropFirst()) + [device.port]
        var processes: [ChildProcess] = []
        do {
            for index in (0..<4).reversed() {
                let isClient = index % 2 == 0
                var lines = [
                    "foreground = yes", "pid =", "debug = 4", "syslog = no",
                    "socket = l:TCP_NODELAY=1", "socket = r:TCP_NODELAY=1",
                    "[hop\(index + 1)]", "accept = 127.0.0.1:\(ports[index])", "connect = 127.0.0.1:\(targets[index])",
                ]
                lines +=
                    isClient
                    ? ["client = yes", "verifyChain = yes", "CAfile = \(ca)", "checkIP = 127.0.0.1"]
                    : ["cert = \(certificate)", "key = \(key)"]
                let config = "\(directory)/stunnel-\(index + 1).conf"
                try (lines.joined(separator: "\n") + "\n").write(toFile: config, atomically: true, encoding: .utf8)
                let process = try ChildProcess.start(stunnel, [config], logPath: "\(directory)/stunnel-\(index + 1).log")
                processes.append(process)
                try await LoopbackPort.waitUntilListening(ports[index], owner: process, what: "stunnel hop \(index + 1)")
            }
        } catch {
            for process in processes { await process.stop() }
            throw error
        }
        return TCPChainPath(
            name: "stunnel chain, 2 TLS legs (4 processes)",
            commands: processes.reversed().map(\.commandLine) + [
                "# each .conf: accept/connect as above, "
                    + "socket = l:TCP_NODELAY=1 and r:TCP_NODELAY=1; TLS clients verify the server (verifyChain, CAfile, checkIP)"
            ],
            entryPort: ports[0], device: device, processes: processes, clientGroup: clientGroup)
    }
}
