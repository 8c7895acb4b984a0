import Foundation
import NIOCore
import NIOPosix
import SerialIO
import SharedWire

/// One end of a serial line in a test, read and written through NIO: either the master of a
/// PTY the test made (standing in for the BMS's UART), or a serial device path opened the
/// way the Control Panel opens its port.
// Unchecked: every field is a constant, and the port and PTY it closes are used by one test task.
final class SerialEnd: @unchecked Sendable {
    let channel: any Channel
    let collector: ByteCollector
    /// The PTY, when this end owns one; its slave path is what the agent opens.
    let pty: PseudoTerminal?
    private let port: SerialPort?

    private init(channel: any Channel, collector: ByteCollector, pty: PseudoTerminal?, port: SerialPort?) {
        self.channel = channel
        self.collector = collector
        self.pty = pty
        self.port = port
    }

    /// A new PTY; the test holds the master, the agent opens `devicePath`.
    ///
    /// The agent is given a symlink of the test's own rather than `/dev/pts/N`: the kernel hands
    /// a closed PTY's number to the next one made, possibly by a test running beside this one,
    /// and an agent opening the old path after this test closed its PTY would open (and flush,
    /// as opening a serial port does) that test's port.
    static func makePTY(group: any EventLoopGroup) async throws -> SerialEnd {
        let pty = try PseudoTerminal()
        try pty.link(at: FileManager.default.temporaryDirectory.appendingPathComponent("bms-\(UUID().uuidString).pty").path)
        let collector = ByteCollector()
        let channel = try await NIOPipeBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .takingOwnershipOfDescriptor(inputOutput: try pty.takeMasterDescriptor()).get()
        return SerialEnd(channel: channel, collector: collector, pty: pty, port: nil)
    }

    /// Opens a serial device (for example tunnel-connect's virtual port) in raw mode.
    static func open(path: String, group: any EventLoopGroup) async throws -> SerialEnd {
        let port = try SerialPort(path: path, parameters: .g1Default)
        let collector = ByteCollector()
        let channel = try await NIOPipeBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .takingOwnershipOfDescriptor(inputOutput: try port.takeDescriptor()).get()
        return SerialEnd(channel: channel, collector: collector, pty: nil, port: port)
    }

    /// The path the agent opens: the PTY's symlink, removed when this end closes.
    var devicePath: String { pty?.linkPath ?? "" }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    func close() async {
        try? await channel.close()
        port?.close()
        pty?.close()
    }
}
