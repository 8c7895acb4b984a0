import AgentConfig
import Logging
import NIOCore
import SharedWire

/// The CAN channel's handler: bytes from SocketCAN (16-byte frames) or an slcan adapter
/// (text lines) become frames, and frames become records in the sink.
final class CANFrameReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private enum Framing {
        case socketCAN(ByteBuffer)
        case slcan(NIOSingleStepByteToMessageProcessor<SLCANDecoder>)
    }

    private var framing: Framing
    private var tap: CANTap
    private var version: Int
    private let params: ActiveParamsConfig
    private let sink: TelemetrySink
    private let logger: Logger
    private var refusals = 0

    init(bus: CANBus, params: ActiveParamsConfig, sink: TelemetrySink, logger: Logger) {
        switch bus {
        case .socketCAN: framing = .socketCAN(ByteBuffer())
        case .slcan: framing = .slcan(NIOSingleStepByteToMessageProcessor(SLCANDecoder()))
        }
        let (version, config) = params.current
        self.version = version
        self.tap = CANTap(decoder: TelemetryDecoder(config: config))
        self.params = params
        self.sink = sink
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let (latest, config) = params.current
        if latest != version {
            version = latest
            tap.replace(decoder: TelemetryDecoder(config: config))
        }
        let timestamp = G1Poller.milliseconds()
        var records: [TelemetryRecord] = []
        for frame in frames(in: unwrapInboundIn(data)) {
            if let record = tap.record(for: frame, at: timestamp) { records.append(record) }
        }
        sink.append(records)
    }

    private func frames(in bytes: ByteBuffer) -> [CANFrame] {
        var frames: [CANFrame] = []
        switch framing {
        case .socketCAN(var pending):
            pending.writeImmutableBuffer(bytes)
            while true {
                do {
                    guard let frame = try pending.readSocketCANFrame() else { break }
                    frames.append(frame)
                } catch {
                    logger.debug("CAN frame skipped", metadata: ["reason": "\(error)"])
                }
            }
            pending.discardReadBytes()
            framing = .socketCAN(pending)
        case .slcan(let processor):
            try? processor.process(buffer: bytes) { output in
                switch output {
                case .message(.frame(let frame)): frames.append(frame)
                case .message(.error):
                    refusals += 1
                    // The first is usually the set-up's close of an adapter that was not open.
                    logger.log(
                        level: refusals == 1 ? .debug : .warning, "The slcan adapter refused a command",
                        metadata: ["refusals": "\(refusals)"])
                case .message, .invalid: break
                }
            }
            framing = .slcan(processor)
        }
        return frames
    }
}
