import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The device end of the TCP peers: a loopback server with `TCP_NODELAY` whose accepted
/// connections echo from the start (as the PTY of our tunnel does once served) and are handed
/// out in arrival order to play other roles (bulk sink, bulk source). Sessions are opened one
/// at a time, so the next accepted connection is the session's own.
final class DeviceServer: Sendable {
    let channel: any Channel
    private let accepted: NIOLockedValueBox<[any Channel]>

    private init(channel: any Channel, accepted: NIOLockedValueBox<[any Channel]>) {
        self.channel = channel
        self.accepted = accepted
    }

    var port: Int { channel.localAddress!.port! }

    static func start(on group: any EventLoopGroup) async throws -> DeviceServer {
        let accepted = NIOLockedValueBox<[any Channel]>([])
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: 1_024)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                accepted.withLockedValue { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoHandler(), name: roleName(of: channel))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return DeviceServer(channel: channel, accepted: accepted)
    }

    /// The oldest connection not handed out yet, waiting for one up to `timeout`.
    func next(phase: String, timeout: Duration = .seconds(10)) async throws -> any Channel {
        let deadline = ContinuousClock.now + timeout
        while true {
            let channel = accepted.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() }
            if let channel { return channel }
            guard ContinuousClock.now < deadline else {
                throw PhaseFailure.timedOut(
                    phase: phase, progress: "no connection reached the device end",
                    after: .seconds(timeout.components.seconds))
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Forgets connections nobody asked for (a peer's own probes).
    func drain() {
        accepted.withLockedValue { $0.removeAll() }
    }

    func stop() async {
        try? await channel.close()
    }
}

/// The role handler's name, from a concrete channel type.
private func roleName<C: Channel>(of channel: C) -> String { C.roleHandlerName }
