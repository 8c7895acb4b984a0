import NIOConcurrencyHelpers
import NIOCore
import SharedWire
import TunnelHarness

/// Collects the tunnel messages a test client receives after `WELCOME`, and whether the
/// connection closed.
final class MessageCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = TunnelMessage

    private let state = NIOLockedValueBox<(messages: [TunnelMessage], closed: Bool)>(([], false))

    var messages: [TunnelMessage] { state.withLockedValue { $0.messages } }
    var closed: Bool { state.withLockedValue { $0.closed } }

    /// Serial bytes received so far, in order.
    var serialBytes: [UInt8] {
        messages.flatMap { message -> [UInt8] in
            if case .serialData(let buffer) = message { return Array(buffer.readableBytesView) }
            return []
        }
    }

    /// The `GOING_AWAY` received, if any.
    var goingAway: TunnelMessage.GoingAway? {
        for case .goingAway(let reason) in messages { return reason }
        return nil
    }

    var isConnected: Bool {
        messages.contains { if case .sessionStatus(let s) = $0 { return s.state == .connected } else { return false } }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        state.withLockedValue { $0.messages.append(message) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.withLockedValue { $0.closed = true }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func waitUntilConnected() async throws {
        try await waitUntil("the session is connected") { self.isConnected }
    }

    func waitUntilClosed() async throws {
        try await waitUntil("the connection closed") { self.closed }
    }
}
