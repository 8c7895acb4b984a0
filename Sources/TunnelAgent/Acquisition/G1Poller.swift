import AgentConfig
import Foundation
import Logging
import NIOCore
import SharedWire

/// The acquisition's part on a held serial line: requests each configured sentence when it is
/// due (unless a Control Panel session has the line), and decodes every sentence that crosses
/// the line in either direction into the sink. Confined to the line's event loop.
final class G1Poller: SerialTrafficObserver {
    /// How often the schedule is looked at. G1 periods are tenths of seconds and up.
    static let tick = TimeAmount.milliseconds(20)

    private let hub: SerialPortHub
    private let params: ActiveParamsConfig
    private let sink: TelemetrySink
    private let facts: AgentFacts
    private let lineParameters: SerialParameters
    private let logger: Logger
    private var version: Int
    private var tap: TelemetryTap
    private var schedule: PollSchedule
    private var timer: RepeatedTask?
    /// Requests written, and requests skipped because a control session had the line.
    private(set) var requested = 0
    private(set) var skipped = 0

    init(
        hub: SerialPortHub, params: ActiveParamsConfig, sink: TelemetrySink, facts: AgentFacts, lineParameters: SerialParameters,
        logger: Logger
    ) {
        self.hub = hub
        self.params = params
        self.sink = sink
        self.facts = facts
        self.lineParameters = lineParameters
        self.logger = logger
        let (version, config) = params.current
        self.version = version
        self.tap = TelemetryTap(decoder: TelemetryDecoder(config: config))
        self.schedule = PollSchedule(protocol: config.protocols.g1, start: Self.now())
    }

    /// Attaches to the line and starts polling.
    func start() {
        hub.eventLoop.preconditionInEventLoop()
        hub.observer = self
        hub.hold()
        facts.update { $0.serialOpen = true }
        // Weak, so that the repeating timer does not keep the poller alive; loop-bound, since
        // the poller lives on the line's event loop.
        let bound = NIOLoopBound(WeakPoller(poller: self), eventLoop: hub.eventLoop)
        timer = hub.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: Self.tick) { _ in bound.value.poller?.poll() }
    }

    /// Stops polling and lets go of the line.
    func stop() {
        hub.eventLoop.preconditionInEventLoop()
        guard let timer else { return }
        timer.cancel()
        self.timer = nil
        if hub.observer === self { hub.observer = nil }
        facts.update { $0.serialOpen = false }
        hub.unhold()
    }

    private func poll() {
        let (latest, config) = params.current
        if latest != version {
            version = latest
            tap.replace(decoder: TelemetryDecoder(config: config))
            schedule = PollSchedule(protocol: config.protocols.g1, start: Self.now())
            logger.info("Acquisition uses a new params_config.json", metadata: ["config.version": "\(latest)"])
        }
        for name in schedule.due(at: Self.now()) {
            if hub.writeFromAgent(ByteBuffer(string: G1Sentence.request(name).line)) {
                requested += 1
            } else {
                skipped += 1
            }
        }
    }

    func fromBMS(_ bytes: ByteBuffer) {
        let before = tap.version
        let textsBefore = tap.texts
        let (sentencesBefore, invalidBefore) = (tap.sentences, tap.invalidLines)
        sink.append(tap.bmsBytes(bytes, at: Self.milliseconds()))
        let (sentences, invalid) = (tap.sentences, tap.invalidLines)
        if sentences != sentencesBefore || invalid != invalidBefore {
            facts.update {
                if sentences != sentencesBefore { $0.lastBMSSentence = Date() }
                $0.bmsSentences = sentences
                $0.bmsInvalidLines = invalid
            }
        }
        if tap.texts != textsBefore {
            let texts = tap.texts
            facts.update { $0.bmsTexts = texts }
        }
        if let version = tap.version, version != before {
            facts.update {
                $0.bmsFirmware = version.firmware
                $0.bmsSerialNumber = version.serialNumber
                $0.bmsHardware = version.hardware
            }
        }
    }

    func fromClient(_ bytes: ByteBuffer) { sink.append(tap.clientBytes(bytes, at: Self.milliseconds())) }

    /// The Control Panel may have changed speed or framing: the line gets its own settings back.
    func controlSessionEnded() {
        let port = hub.port
        for control: SerialControl in [
            .setBaudRate(lineParameters.baudRate), .setDataBits(lineParameters.dataBits), .setParity(lineParameters.parity),
            .setStopBits(lineParameters.stopBits), .setFlowControl(lineParameters.flowControl),
        ] {
            _ = port.apply(control)
        }
        logger.info("Polling resumes after the control session", metadata: ["serial.device": "\(port.path)"])
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
    static func milliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}

/// A weak reference to a poller, for its timer.
private struct WeakPoller {
    weak var poller: G1Poller?
}
