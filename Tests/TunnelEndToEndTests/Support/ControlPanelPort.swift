import NIOCore
import NIOPosix
import SerialIO
import SharedWire

/// tunnel-connect's virtual serial port opened the way a Control Panel opens it, keeping the
/// port so that a test can change its line settings (termios) as the application would.
final class ControlPanelPort: Sendable {
    let port: SerialPort
    let channel: any Channel
    let collector: ByteCollector

    private init(port: SerialPort, channel: any Channel, collector: ByteCollector) {
        self.port = port
        self.channel = channel
        self.collector = collector
    }

    /// Opens `path` raw at 57600 8N1, the virtual port's own settings: nothing changes yet.
    static func open(path: String, group: any EventLoopGroup) async throws -> ControlPanelPort {
        let port = try SerialPort(path: path, parameters: .g1Default)
        let collector = ByteCollector()
        let channel = try await NIOPipeBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .takingOwnershipOfDescriptor(inputOutput: try port.takeDescriptor()).get()
        return ControlPanelPort(port: port, channel: channel, collector: collector)
    }

    func write(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    func close() async {
        try? await channel.close()
        port.close()
    }
}
