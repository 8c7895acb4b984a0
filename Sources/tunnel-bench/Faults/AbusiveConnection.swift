import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SharedWire

/// What one hostile connection does to the relay's tunnel port.
enum AbuseKind: String, CaseIterable, Sendable {
    /// TCP, then the first bytes of a TLS ClientHello whose record never completes.
    case halfOpenTLS = "half-open TLS handshake"
    /// A finished TLS handshake, then a HELLO frame one byte every 700 ms.
    case slowloris = "slowloris HELLO"
    /// Random bytes instead of TLS.
    case garbage = "garbage bytes"
    /// A finished TLS handshake, then a frame header announcing 4 GiB.
    case oversizedFrame = "oversized frame"

    var usesTLS: Bool { self == .slowloris || self == .oversizedFrame }
}

/// How one hostile connection ended.
struct AbuseOutcome: Sendable {
    let kind: AbuseKind
    /// The relay closed it (rather than our own cap).
    let closedByRelay: Bool
    /// The connection could not even be opened.
    let connectFailed: Bool
    let heldSeconds: Double
}

/// Opens one hostile connection from `source` and returns once it is closed (by the relay,
/// or by us after `cap`).
func abusiveConnection(
    _ kind: AbuseKind, source: String, relayPort: Int, tls: NIOSSLContext, group: any EventLoopGroup, cap: TimeAmount
) async -> AbuseOutcome {
    let start = ContinuousClock.now
    do {
        let channel = try await ClientBootstrap(group: group)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if kind.usesTLS { try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    try sync.addHandler(AbuseHandler(kind: kind))
                }
            }
            .connect(host: "127.0.0.1", port: relayPort).get()
        let cutByUs = NIOLockedValueBox(false)
        let ourCut = channel.eventLoop.scheduleTask(in: cap) {
            cutByUs.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        try? await channel.closeFuture.get()
        ourCut.cancel()
        return AbuseOutcome(
            kind: kind, closedByRelay: !cutByUs.withLockedValue { $0 }, connectFailed: false,
            heldSeconds: (ContinuousClock.now - start).seconds)
    } catch {
        return AbuseOutcome(kind: kind, closedByRelay: false, connectFailed: true, heldSeconds: (ContinuousClock.now - start).seconds)
    }
}

private final class AbuseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let kind: AbuseKind
    private var drip: RepeatedTask?
    /// The slowloris HELLO still to send.
    private var pending = ByteBuffer()

    init(kind: AbuseKind) { self.kind = kind }

    /// For the TLS kinds NIOSSL holds what is written here until its handshake finished.
    func channelActive(context: ChannelHandlerContext) {
        switch kind {
        case .halfOpenTLS:
            // A handshake record header announcing 512 bytes, then the start of a ClientHello.
            let bytes: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        case .garbage:
            let bytes = (0..<512).map { _ in UInt8.random(in: 0...255) }
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        case .oversizedFrame:
            var buffer = context.channel.allocator.buffer(capacity: 1024)
            buffer.writeBytes([0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF])  // HELLO, no flags, 4 GiB
            buffer.writeRepeatingByte(0x41, count: 1000)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        case .slowloris:
            TunnelMessage.hello(.init(role: .client, software: "slowloris", credential: "st1.slow.loris")).write(to: &pending)
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            drip = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(700), delay: .milliseconds(700)) { task in
                let (handler, context) = loopBound.value
                guard let byte = handler.pending.readSlice(length: 1), context.channel.isActive else { return task.cancel() }
                context.writeAndFlush(handler.wrapOutboundOut(byte), promise: nil)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}  // whatever the relay says

    func channelInactive(context: ChannelHandlerContext) {
        drip?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
