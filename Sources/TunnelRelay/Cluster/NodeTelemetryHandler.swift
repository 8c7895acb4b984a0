import NIOCore
import SharedWire

/// The reading end of a `nodeTelemetry` link: the other node's `TELEMETRY` frames, first the
/// device's latest values (ended by an empty frame), then each record as it comes.
final class NodeTelemetryHandler: ChannelInboundHandler {
    typealias InboundIn = TunnelMessage

    private let deviceID: String
    private let snapshot: EventLoopPromise<LiveTelemetry.Snapshot>
    private let records: AsyncStream<String>.Continuation
    /// Puts the snapshot's records back together, with the same checks and bounds as for an agent's.
    private var latest: LiveTelemetry? = LiveTelemetry()

    init(deviceID: String, snapshot: EventLoopPromise<LiveTelemetry.Snapshot>, records: AsyncStream<String>.Continuation) {
        self.deviceID = deviceID
        self.snapshot = snapshot
        self.records = records
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .telemetry(let record) = unwrapInboundIn(data) else { return }
        if let latest {
            guard record.readableBytes == 0 else {
                latest.received(deviceID: deviceID, record: Array(buffer: record))
                return
            }
            snapshot.succeed(latest.snapshot(deviceID: deviceID) ?? .init())
            self.latest = nil
            return
        }
        records.yield(String(buffer: record))
    }

    func channelInactive(context: ChannelHandlerContext) {
        snapshot.fail(TunnelProtocolError(.agentLost, "the link to the node holding the agent closed"))
        records.finish()
        context.fireChannelInactive()
    }
}
