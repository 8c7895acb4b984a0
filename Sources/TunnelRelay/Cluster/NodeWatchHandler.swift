import NIOConcurrencyHelpers
import NIOCore
import SharedWire

/// The reading end of a `nodeWatch` link: the watched session's sentences and its watchers, as
/// the node holding the session's client sends them, until that node says the session ended
/// or the link closes.
final class NodeWatchHandler: ChannelInboundHandler {
    typealias InboundIn = TunnelMessage

    private let sentences: AsyncStream<SessionTap.Sentence>.Continuation
    private let watchers: NIOLockedValueBox<[String]>
    private let ended: NIOLockedValueBox<Bool>

    init(
        sentences: AsyncStream<SessionTap.Sentence>.Continuation, watchers: NIOLockedValueBox<[String]>,
        ended: NIOLockedValueBox<Bool>
    ) {
        self.sentences = sentences
        self.watchers = watchers
        self.ended = ended
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .watchedSentence(let sentence):
            sentences.yield(SessionTap.Sentence(sentence))
        case .watchers(let names):
            watchers.withLockedValue { $0 = names }
        case .goingAway(let reason):
            if reason.code == .sessionEnded { ended.withLockedValue { $0 = true } }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        sentences.finish()
        context.fireChannelInactive()
    }
}
