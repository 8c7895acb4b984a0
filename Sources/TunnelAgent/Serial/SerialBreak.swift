import NIOCore
import SerialIO
import SharedWire

/// BREAK on the BMS line without blocking the event loop: the condition is set at once
/// (`TIOCSBRK`) and cleared by a timer, never by sleeping in `tcsendbreak`, so pings,
/// monitors and telemetry go on while the line is held. Every break ends after at most
/// `SerialControl.maxBreakMilliseconds`, whether asked with `sendBreak` or `setBreak`.
/// Confined to the hub's event loop.
final class SerialBreak {
    private let port: SerialPort
    private let eventLoop: any EventLoop
    private var release: Scheduled<Void>?
    private var ended: EventLoopPromise<Void>?

    init(port: SerialPort, eventLoop: any EventLoop) {
        self.port = port
        self.eventLoop = eventLoop
    }

    /// Completes when the break in progress ends; nil when the line is not held.
    var ends: EventLoopFuture<Void>? { ended?.futureResult }

    /// `sendBreak`: holds the line for the request clamped to 1–5000 ms; the result (whose
    /// value is the milliseconds held) comes once the break is over.
    func send(milliseconds requested: UInt32) -> EventLoopFuture<SerialControlResult> {
        let held = SerialControl.heldBreak(requested)
        guard start(for: held) else {
            return eventLoop.makeSucceededFuture(SerialControlResult(operation: .sendBreak, value: held, status: .unsupported))
        }
        return ended!.futureResult.map { SerialControlResult(operation: .sendBreak, value: held, status: .applied) }
    }

    /// `setBreak`: sets the condition (released by itself after 5000 ms) or clears it.
    func set(_ on: Bool) -> SerialControlResult {
        let ok = on ? start(for: SerialControl.maxBreakMilliseconds) : clear()
        return SerialControlResult(operation: .setBreak, value: on ? 1 : 0, status: ok ? .applied : .unsupported)
    }

    /// Clears the condition now (a `setBreak` 0, or the session holding it ended).
    @discardableResult
    func clear() -> Bool {
        release?.cancel()
        release = nil
        let ok = port.breakCondition(false)
        let promise = ended
        ended = nil
        promise?.succeed()
        return ok
    }

    /// Sets the condition and the timer that clears it.
    private func start(for milliseconds: UInt32) -> Bool {
        guard port.breakCondition(true) else { return false }
        release?.cancel()
        if ended == nil { ended = eventLoop.makePromise() }
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        release = eventLoop.scheduleTask(in: .milliseconds(Int64(milliseconds))) { _ = loopBound.value.clear() }
        return true
    }
}
