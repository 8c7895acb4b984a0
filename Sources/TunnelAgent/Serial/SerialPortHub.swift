import Logging
import NIOCore
import SerialIO
import SharedWire
import TunnelTransport

/// The BMS serial port shared by the sessions of the device: at most one control session
/// (reads and writes, serial settings) and any number of monitor sessions (they see the
/// BMS's side of the traffic; their requests pass only if they read state). The agent's own
/// acquisition may hold the port too: it sees every byte both ways and writes its requests
/// only while no control session runs.
///
/// Confined to one event loop: the serial channel and every session's data connection live
/// on it, so bytes cross without locks or thread hops.
final class SerialPortHub: @unchecked Sendable {  // confined to `eventLoop`
    /// One session attached to the port.
    struct Member {
        let mode: TunnelMessage.SessionMode
        var context: ChannelHandlerContext?
        /// False until the relay welcomed the session's data connection.
        var active = false
        var filter = G1MonitorFilter()
        /// BMS bytes a monitor could not take because its connection was backed up.
        var skippedBytes: UInt64 = 0
    }

    let port: SerialPort
    let eventLoop: any EventLoop
    private let logger: Logger
    private var serialContext: ChannelHandlerContext?
    private var members: [String: Member] = [:]
    private var lastSerialWrite: EventLoopFuture<Void>?
    /// BREAK on the line, timed without blocking the loop.
    private lazy var lineBreak = SerialBreak(port: port, eventLoop: eventLoop)
    /// Sessions whose data connection is being dialled: the port stays open for them.
    private var joining = 0
    /// Holders other than sessions (the acquisition): the port stays open while there are any.
    private var holders = 0
    /// Sees the traffic both ways (the acquisition's decoder).
    var observer: (any SerialTrafficObserver)?
    private let finishedPromise: EventLoopPromise<String>
    /// Completes with the reason once the last user left or the port went away; the owner closes the port.
    var finished: EventLoopFuture<String> { finishedPromise.futureResult }

    init(port: SerialPort, eventLoop: any EventLoop, logger: Logger) {
        self.port = port
        self.eventLoop = eventLoop
        self.logger = logger
        self.finishedPromise = eventLoop.makePromise()
    }

    var isEmpty: Bool { members.isEmpty && joining == 0 && holders == 0 }

    /// Keeps the port open and reading until `unhold()`, whatever the sessions do.
    func hold() {
        holders += 1
        serialContext?.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }

    func unhold() {
        holders -= 1
        finishIfUnused()
    }

    /// Writes the agent's own bytes (a poll request), unless a control session holds the line.
    @discardableResult
    func writeFromAgent(_ bytes: ByteBuffer) -> Bool {
        guard controlSessionID == nil, let serial = serialContext else { return false }
        serial.writeAndFlush(NIOAny(bytes), promise: nil)
        return true
    }

    /// A session is about to dial its data connection: keep the port open for it.
    func reserve() { joining += 1 }

    /// The dial of a reserved session finished (it joined, or it failed); a port nobody uses
    /// any more is let go.
    func release() {
        joining -= 1
        finishIfUnused()
    }

    private func finishIfUnused() {
        guard isEmpty else { return }
        serialContext?.close(promise: nil)
        finish("the last session ended")
    }
    private var isFinished = false

    private func finish(_ reason: String) {
        guard !isFinished else { return }
        isFinished = true
        finishedPromise.succeed(reason)
    }

    var controlSessionID: String? { members.first { $0.value.mode == .control }?.key }

    /// The handler for the serial channel's pipeline.
    func makeSerialHandler() -> SerialSide { SerialSide(hub: self) }

    /// The handler for a session's data connection; it joins when added to a pipeline and
    /// takes part once `activate` is called.
    func makeSessionHandler(sessionID: String, mode: TunnelMessage.SessionMode) -> SessionSide {
        SessionSide(hub: self, sessionID: sessionID, mode: mode)
    }

    /// The relay welcomed the session: BMS bytes flow to it from now on.
    func activate(sessionID: String) {
        guard members[sessionID]?.context != nil else { return }
        members[sessionID]?.active = true
        serialContext?.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }

    /// Ends one session with a reason (for example a takeover).
    func end(sessionID: String, code: TunnelErrorCode, reason: String) {
        members[sessionID]?.context?.closeWithGoingAway(code, reason)
    }

    // MARK: BMS → sessions

    fileprivate func fromSerial(_ bytes: ByteBuffer) {
        observer?.fromBMS(bytes)
        let frame = NIOAny(TunnelMessage.serialData(bytes))
        for (id, member) in members where member.active {
            guard let context = member.context else { continue }
            if member.mode == .monitor && !context.channel.isWritable {
                members[id]?.skippedBytes &+= UInt64(bytes.readableBytes)  // a slow watcher never holds up the pack
                continue
            }
            context.write(frame, promise: nil)
        }
    }

    fileprivate func serialReadComplete() {
        for member in members.values { member.context?.flush() }
    }

    fileprivate func serialClosed() {
        serialContext = nil
        for member in members.values {
            member.context?.closeWithGoingAway(.serialUnavailable, "the serial port \(port.path) closed")
        }
        finish("the serial port closed")
    }

    // MARK: Sessions → BMS

    fileprivate func fromSession(_ sessionID: String, _ message: TunnelMessage) {
        guard let member = members[sessionID] else { return }
        switch (message, member.mode) {
        case (.serialData(let bytes), .control):
            writeToSerial(bytes)
        case (.serialData(let bytes), .monitor):
            let (allowed, dropped) = members[sessionID]!.filter.filter(bytes)
            for line in dropped {
                logger.notice(
                    "Monitor request dropped",
                    metadata: [
                        "session.id": "\(sessionID)", "line": "\(line.line)", "reason": "\(line.reason)",
                    ])
            }
            if allowed.readableBytes > 0 { writeToSerial(allowed) }
        case (.serialControl(let control), .control):
            applyInOrder(control, for: sessionID)
        case (.serialControl(let control), .monitor):
            // Never applied; answered with what is in effect so the client's answers stay in step.
            logger.notice("Monitor serial control refused", metadata: ["session.id": "\(sessionID)", "operation": "\(control.operation)"])
            member.context?.reply(.serialControlResult(port.refused(control)))
        default:
            break
        }
    }

    private func writeToSerial(_ bytes: ByteBuffer) {
        guard let serial = serialContext else { return }
        observer?.fromClient(bytes)
        let promise = eventLoop.makePromise(of: Void.self)
        if let breakEnds = lineBreak.ends {
            // Bytes sent during a break go out after it, in order.
            let loopBound = NIOLoopBound(serial, eventLoop: eventLoop)
            breakEnds.whenComplete { _ in loopBound.value.writeAndFlush(NIOAny(bytes), promise: promise) }
        } else {
            serial.write(NIOAny(bytes), promise: promise)
        }
        lastSerialWrite = promise.futureResult
    }

    /// Applies a control operation once the data written before it reached the port. A
    /// `sendBreak` is answered when its break ends, and what follows it waits for that.
    private func applyInOrder(_ control: SerialControl, for sessionID: String) {
        serialContext?.flush()
        let apply = { [self] in
            let answer: (SerialControlResult) -> Void = { [self] result in
                _ = members[sessionID]?.context?.reply(.serialControlResult(result))
            }
            switch control {
            case .sendBreak(let milliseconds):
                let result = lineBreak.send(milliseconds: milliseconds)
                lastSerialWrite = result.map { _ in }
                let loopBound = NIOLoopBound(answer, eventLoop: eventLoop)
                result.whenSuccess { loopBound.value($0) }
            case .setBreak(let on):
                answer(lineBreak.set(on))
            default:
                answer(port.apply(control))
            }
        }
        guard let pending = lastSerialWrite else { return apply() }
        let loopBound = NIOLoopBound(apply, eventLoop: eventLoop)
        pending.whenComplete { _ in loopBound.value() }
    }

    fileprivate func sessionReadComplete() { serialContext?.flush() }

    /// Only the control session's backpressure reaches the port.
    fileprivate func sessionWritabilityChanged(_ sessionID: String, writable: Bool) {
        guard members[sessionID]?.mode == .control else { return }
        serialContext?.channel.setOption(ChannelOptions.autoRead, value: writable).whenFailure { _ in }
    }

    fileprivate func sessionClosed(_ sessionID: String) {
        guard let member = members.removeValue(forKey: sessionID) else { return }
        if member.mode == .control {
            if lineBreak.ends != nil { lineBreak.clear() }  // a break never outlives its session
            // The line is the agent's again: reading resumes even if the session was backed up.
            if holders > 0 { serialContext?.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in } }
            observer?.controlSessionEnded()
        }
        if member.skippedBytes > 0 {
            logger.notice("Monitor missed BMS bytes", metadata: ["session.id": "\(sessionID)", "bytes": "\(member.skippedBytes)"])
        }
        finishIfUnused()
    }

    /// The serial channel's handler: raw bytes from and to the port.
    final class SerialSide: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let hub: SerialPortHub

        init(hub: SerialPortHub) { self.hub = hub }

        func handlerAdded(context: ChannelHandlerContext) { hub.serialContext = context }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { hub.fromSerial(unwrapInboundIn(data)) }

        func channelReadComplete(context: ChannelHandlerContext) {
            hub.serialReadComplete()
            context.fireChannelReadComplete()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

        func channelInactive(context: ChannelHandlerContext) {
            hub.serialClosed()
            context.fireChannelInactive()
        }
    }

    /// A session's handler on its data connection, after the codec.
    final class SessionSide: ChannelInboundHandler {
        typealias InboundIn = TunnelMessage
        typealias OutboundOut = TunnelMessage
        private let hub: SerialPortHub
        let sessionID: String
        let mode: TunnelMessage.SessionMode

        init(hub: SerialPortHub, sessionID: String, mode: TunnelMessage.SessionMode) {
            self.hub = hub
            self.sessionID = sessionID
            self.mode = mode
        }

        func handlerAdded(context: ChannelHandlerContext) { hub.members[sessionID] = Member(mode: mode, context: context) }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .goingAway:
                context.close(promise: nil)
            case let message:
                hub.fromSession(sessionID, message)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            hub.sessionReadComplete()
            context.fireChannelReadComplete()
        }

        func channelWritabilityChanged(context: ChannelHandlerContext) {
            hub.sessionWritabilityChanged(sessionID, writable: context.channel.isWritable)
            context.fireChannelWritabilityChanged()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            let (code, message) = error.tunnelClosing
            context.closeWithGoingAway(code, message)
        }

        func channelInactive(context: ChannelHandlerContext) {
            hub.sessionClosed(sessionID)
            context.fireChannelInactive()
        }
    }
}
