import Logging
import NIOCore
import SharedWire
import TunnelTransport

/// The serial control path of a session on the client side: sends operations into the
/// tunnel and hands each result to whoever sent the operation. The agent answers every
/// operation once, in order, so a FIFO of waiting callbacks pairs results with requests.
///
/// Used on the bridge's event loop only (hence unchecked: `waiting` and `stateListener`
/// are touched there alone).
final class SerialControlLink: SerialControlReceiver, @unchecked Sendable {
    private let bridge: SerialBridge
    private let logger: Logger
    private var waiting = CircularBuffer<(SerialControlResult) -> Void>()
    /// Told of `SERIAL_STATE` frames (the RFC 2217 connection of the moment).
    var stateListener: ((SerialState) -> Void)?

    init(bridge: SerialBridge, logger: Logger) {
        self.bridge = bridge
        self.logger = logger
    }

    /// Sends an operation after the bytes already read from the Control Panel; `answered`
    /// gets its result.
    func send(_ control: SerialControl, answered: @escaping (SerialControlResult) -> Void) {
        bridge.eventLoop.preconditionInEventLoop()
        waiting.append(answered)
        bridge.sendToTunnel(.serialControl(control))
    }

    func tunnelAnswered(_ result: SerialControlResult) {
        bridge.eventLoop.preconditionInEventLoop()
        guard let answered = waiting.popFirst() else {
            logger.warning("Serial control result without a request", metadata: ["result": "\(result)"])
            return
        }
        answered(result)
    }

    func tunnelReported(_ state: SerialState) {
        bridge.eventLoop.preconditionInEventLoop()
        stateListener?(state)
    }
}
