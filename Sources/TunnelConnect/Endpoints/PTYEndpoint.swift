import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SerialIO
import TunnelTransport

/// A virtual serial port: a PTY whose slave path (and an optional symlink to it) the Control
/// Panel opens like a real port. Line settings the Control Panel makes on it follow to the
/// real port (`PTYSettingsFollower`).
final class PTYEndpoint: LocalEndpoint {
    private let linkPath: String?
    private let logger: Logger
    private let state = NIOLockedValueBox<
        (pty: PseudoTerminal?, channel: (any Channel)?, link: SerialControlLink?, follower: PTYSettingsFollower?)
    >((nil, nil, nil, nil))

    init(linkPath: String?, logger: Logger = Logger(label: "tunnel-connect.pty")) {
        self.linkPath = linkPath
        self.logger = logger
    }

    var controlReceiver: (any SerialControlReceiver)? { state.withLockedValue { $0.link } }

    func start(bridge: SerialBridge) async throws -> String {
        let pty = try PseudoTerminal()
        if let linkPath { try pty.link(at: linkPath) }
        let link = SerialControlLink(bridge: bridge, logger: logger)
        let follower = try PTYSettingsFollower(pty: pty, link: link, eventLoop: bridge.eventLoop, logger: logger)
        let channel = try await NIOPipeBootstrap(group: bridge.eventLoop)
            .channelOption(ChannelOptions.autoRead, value: false)
            // A tty hands over at most about 4 KiB per read; more reads per wake-up make
            // bigger frames under bulk load (see SerialBridge) at no cost to latency.
            .channelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(bridge.makeLocalHandler()) }
            }
            .takingOwnershipOfDescriptor(inputOutput: try pty.takeMasterDescriptor())
            .get()
        state.withLockedValue { $0 = (pty, channel, link, follower) }
        return linkPath.map { "\($0) -> \(pty.slavePath)" } ?? pty.slavePath
    }

    let survivesLocalClose = false

    func setReading(_ on: Bool) {
        let (channel, follower) = state.withLockedValue { ($0.channel, $0.follower) }
        channel?.setOption(ChannelOptions.autoRead, value: on).whenFailure { _ in }
        // Settings made before the session connected go out with the first poll.
        if on { follower?.start() }
    }

    func close() {
        let (pty, channel, _, follower) = state.withLockedValue { $0 }
        follower?.stop()
        channel?.close(promise: nil)
        pty?.close()
    }
}
