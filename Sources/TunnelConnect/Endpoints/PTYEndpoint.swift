import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TunnelPlumbing

/// A virtual serial port: a PTY whose slave path (and an optional symlink to it) the Control
/// Panel opens like a real port.
final class PTYEndpoint: LocalEndpoint {
    private let linkPath: String?
    private let state = NIOLockedValueBox<(pty: PseudoTerminal?, channel: (any Channel)?)>((nil, nil))

    init(linkPath: String?) {
        self.linkPath = linkPath
    }

    func start(bridge: SerialBridge) async throws -> String {
        let pty = try PseudoTerminal()
        if let linkPath { try pty.link(at: linkPath) }
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
        state.withLockedValue { $0 = (pty, channel) }
        return linkPath.map { "\($0) -> \(pty.slavePath)" } ?? pty.slavePath
    }

    let survivesLocalClose = false

    func setReading(_ on: Bool) {
        state.withLockedValue { $0.channel }?.setOption(ChannelOptions.autoRead, value: on).whenFailure { _ in }
    }

    func close() {
        let (pty, channel) = state.withLockedValue { $0 }
        channel?.close(promise: nil)
        pty?.close()
    }
}
