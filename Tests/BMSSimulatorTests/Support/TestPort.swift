import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A serial device path (the simulator's PTY) opened raw the way a Control Panel or an slcan
/// tool opens it, read and written through NIO.
final class TestPort: Sendable {
    let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func open(_ path: String, group: any EventLoopGroup) async throws -> TestPort {
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var settings = termios()
        tcgetattr(fd, &settings)
        cfmakeraw(&settings)
        tcsetattr(fd, TCSANOW, &settings)
        let collector = Collector()
        let channel = try await NIOPipeBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .takingOwnershipOfDescriptor(inputOutput: fd).get()
        return TestPort(channel: channel, collector: collector)
    }

    func write(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Everything received so far.
    var received: [UInt8] { collector.bytes.withLockedValue { $0 } }

    func reset() { collector.bytes.withLockedValue { $0.removeAll() } }

    /// Complete CR LF lines received so far.
    var lines: [String] {
        var parts = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n")
        parts.removeLast()
        return parts.filter { !$0.isEmpty }
    }

    /// Waits until `condition` holds for the received bytes, or fails after `timeout`.
    func wait(_ what: String, timeout: Duration = .seconds(10), until condition: @escaping ([UInt8]) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(received) {
            guard ContinuousClock.now < deadline else {
                throw TestPortTimeout(what: what, received: String(decoding: received, as: UTF8.self))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits for a complete line starting with `prefix` and returns it.
    func waitForLine(startingWith prefix: String, timeout: Duration = .seconds(10)) async throws -> String {
        try await wait("a line starting \(prefix)", timeout: timeout) { _ in self.lines.contains { $0.hasPrefix(prefix) } }
        return lines.first { $0.hasPrefix(prefix) }!
    }

    func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = NIOLockedValueBox([UInt8]())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLockedValue { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }
}

/// A test waited in vain.
struct TestPortTimeout: Error, CustomStringConvertible {
    let what: String
    let received: String
    var description: String { "timed out waiting for \(what); received \(received.debugDescription)" }
}
