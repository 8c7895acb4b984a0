import NIOCore

/// The plaintext relay of two socat hops: client → socat → socat → device, each hop a
/// forking TCP listener with `TCP_NODELAY` both ways and socat's default 8 KiB buffer.
enum SocatRelay {
    static func start(in directory: String, device: DeviceServer, clientGroup: any EventLoopGroup) async throws -> TCPChainPath {
        let socat = try PeerProgram.locate("socat", package: "socat")
        let entry = try LoopbackPort.free()
        let middle = try LoopbackPort.free()
        var processes: [ChildProcess] = []
        do {
            for (index, (listen, target)) in [(middle, device.port), (entry, middle)].enumerated() {
                let process = try ChildProcess.start(
                    socat, ["TCP-LISTEN:\(listen),bind=127.0.0.1,reuseaddr,fork,nodelay", "TCP:127.0.0.1:\(target),nodelay"],
                    logPath: "\(directory)/socat-\(index + 1).log")
                processes.append(process)
                try await LoopbackPort.waitUntilListening(listen, owner: process, what: "socat hop \(index + 1)")
            }
        } catch {
            for process in processes { await process.stop() }
            throw error
        }
        return TCPChainPath(
            name: "socat relay, 2 hops (plaintext)", commands: processes.reversed().map(\.commandLine), entryPort: entry,
            device: device, processes: processes, clientGroup: clientGroup)
    }
}
