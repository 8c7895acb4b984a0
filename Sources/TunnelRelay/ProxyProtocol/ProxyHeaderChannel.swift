import HummingbirdCore
import Logging
import NIOCore

/// A Hummingbird child channel (the admin API's TLS over HTTP/1) with a `ProxyHeaderHandler`
/// in front of it: the header is read before TLS starts, as on the tunnel port.
struct ProxyHeaderChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let makeHandler: @Sendable () -> ProxyHeaderHandler

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(makeHandler())
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
