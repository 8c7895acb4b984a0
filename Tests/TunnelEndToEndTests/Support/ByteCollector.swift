import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TunnelHarness

/// Collects every byte a channel reads, for a test to wait on.
final class ByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let bytes = NIOLockedValueBox([UInt8]())

    var received: [UInt8] { bytes.withLockedValue { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLockedValue { $0.append(contentsOf: buffer.readableBytesView) }
    }

    /// Waits until at least `count` bytes arrived and returns them all.
    func wait(forCount count: Int, timeout: Duration = .seconds(20)) async throws -> [UInt8] {
        try await waitUntil("\(count) bytes arrived (have \(received.count))", timeout: timeout) { self.received.count >= count }
        return received
    }

    /// Waits until the bytes contain `count` CR LF terminated lines; returns the lines.
    func wait(forLines count: Int, timeout: Duration = .seconds(10)) async throws -> [String] {
        try await waitUntil("\(count) lines arrived", timeout: timeout) { self.lines.count >= count }
        return lines
    }

    /// The complete CR LF terminated lines received so far.
    var lines: [String] {
        var parts = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n")
        parts.removeLast()  // the text after the last CR LF: empty or an incomplete line
        return parts.filter { !$0.isEmpty }
    }

    func reset() { bytes.withLockedValue { $0.removeAll() } }
}
