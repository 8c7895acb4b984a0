import NIOCore
import SharedWire

/// The relay said no: the `GOING_AWAY` it sent instead of `WELCOME`.
public struct RelayRefusal: Error, CustomStringConvertible, Equatable {
    public let code: TunnelErrorCode
    public let message: String

    public init(code: TunnelErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String {
        message.isEmpty ? "relay refused: \(code.summary)" : "relay refused: \(code.summary): \(message)"
    }
}

/// The relay closed the connection before answering `HELLO`.
public struct RelayClosedEarly: Error, CustomStringConvertible {
    public var description: String { "the relay closed the connection before answering" }
}

/// Dialer side of the first exchange: sends `HELLO` when the connection is up and completes
/// `welcome` with the relay's `WELCOME` (or fails it with the refusal). Every message after
/// `WELCOME` goes on up the pipeline.
public final class HelloExchangeHandler: ChannelInboundHandler {
    public typealias InboundIn = TunnelMessage
    public typealias InboundOut = TunnelMessage
    public typealias OutboundOut = TunnelMessage

    private let hello: TunnelMessage.Hello
    private let welcome: EventLoopPromise<TunnelMessage.Welcome>
    private var welcomed = false
    private var failed = false

    public init(hello: TunnelMessage.Hello, welcome: EventLoopPromise<TunnelMessage.Welcome>) {
        self.hello = hello
        self.welcome = welcome
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendHello(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        sendHello(context: context)
        context.fireChannelActive()
    }

    private var helloSent = false
    private func sendHello(context: ChannelHandlerContext) {
        guard !helloSent else { return }
        helloSent = true
        context.writeAndFlush(wrapOutboundOut(.hello(hello)), promise: nil)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !welcomed else {
            context.fireChannelRead(data)
            return
        }
        switch unwrapInboundIn(data) {
        case .welcome(let answer) where answer.version != TunnelLimits.protocolVersion:
            fail(TunnelProtocolError(.unsupportedVersion, "the relay speaks protocol version \(answer.version)"))
            context.close(promise: nil)
        case .welcome(let answer):
            welcomed = true
            welcome.succeed(answer)
        case .goingAway(let reason):
            fail(RelayRefusal(code: reason.code, message: reason.message))
            context.close(promise: nil)
        case let other:
            fail(TunnelProtocolError(.unexpectedFrame, "expected WELCOME, got \(other.frameType)"))
            context.close(promise: nil)
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if welcomed {
            context.fireErrorCaught(error)
        } else {
            fail(error)
            context.close(promise: nil)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if !welcomed { fail(RelayClosedEarly()) }
        context.fireChannelInactive()
    }

    private func fail(_ error: any Error) {
        guard !failed, !welcomed else { return }
        failed = true
        welcome.fail(error)
    }
}
