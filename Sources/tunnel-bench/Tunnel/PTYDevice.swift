import NIOCore
import NIOPosix
import SerialIO
import SharedWire

/// The device end of a pseudo-terminal: the PTY's master side served by NIO, playing one role
/// at a time (echo, bulk sink, bulk source) while a serial client uses the slave side.
final class PTYDevice: Sendable {
    let terminal: PseudoTerminal
    /// The pipe channel on the master side; its last handler is the current role.
    let channel: any Channel

    private init(terminal: PseudoTerminal, channel: any Channel) {
        self.terminal = terminal
        self.channel = channel
    }

    /// Opens a new PTY and serves its master side on `group`.
    static func open(on group: any EventLoopGroup) async throws -> PTYDevice {
        let terminal = try PseudoTerminal()
        do {
            let descriptor = try terminal.takeMasterDescriptor()
            let channel = try await NIOPipeBootstrap(group: group).takingOwnershipOfDescriptor(inputOutput: descriptor).get()
            return PTYDevice(terminal: terminal, channel: channel)
        } catch {
            terminal.close()
            throw error
        }
    }

    /// The path a serial client opens, for example `/dev/pts/4`.
    var slavePath: String { terminal.slavePath }

    /// Opens the slave side the way the agent opens a serial port (raw, locked) and serves
    /// it on `group` with an empty pipeline; closing the channel leaves the port open until
    /// the returned port is closed too.
    func openSlave(on group: any EventLoopGroup) async throws -> (SerialPort, any Channel) {
        let port = try SerialPort(path: slavePath, parameters: .g1Default)
        do {
            let descriptor = try port.takeDescriptor()
            let channel = try await NIOPipeBootstrap(group: group).takingOwnershipOfDescriptor(inputOutput: descriptor).get()
            return (port, channel)
        } catch {
            port.close()
            throw error
        }
    }

    func close() async {
        try? await channel.close()
        terminal.close()
    }
}
