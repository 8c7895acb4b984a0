import NIOCore
import NIOPosix

/// A path whose client dials a loopback TCP port and whose far end is the `DeviceServer`:
/// direct TCP (no processes), or a relay of peer programs between the two.
struct TCPChainPath: PeerPath {
    let name: String
    let commands: [String]
    /// The port the client dials.
    let entryPort: Int
    let device: DeviceServer
    let processes: [ChildProcess]
    let clientGroup: any EventLoopGroup

    func openSession(index: Int) async throws -> PeerSession {
        let client = try await ClientBootstrap(group: clientGroup)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: "127.0.0.1", port: entryPort)
            .get()
        let device: any Channel
        do {
            // The peer programs dial onwards only once the client is connected (ssh: once the
            // channel opened); wait for that connection to reach the device end.
            device = try await self.device.next(phase: "\(name): session \(index) setup")
        } catch {
            try? await client.close()
            throw error
        }
        return PeerSession(client: client, device: device) {
            try? await client.close()
            try? await device.close()
        }
    }

    func setupToFirstByte(index: Int) async throws -> Duration {
        let start = ContinuousClock.now
        let loop = clientGroup.next()
        let arrived = loop.makePromise(of: ContinuousClock.Instant.self)
        let client: any Channel
        do {
            client = try await ClientBootstrap(group: loop)
                .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(FirstByteProbe(arrived: arrived))
                    }
                }
                .connect(host: "127.0.0.1", port: entryPort)
                .get()
        } catch {
            arrived.fail(error)
            throw error
        }
        let end = try await arrived.futureResult.get()
        try? await client.close()
        try? await device.next(phase: "\(name): setup \(index)").close()
        return end - start
    }

    func stop() async {
        for process in processes.reversed() { await process.stop() }
    }
}
