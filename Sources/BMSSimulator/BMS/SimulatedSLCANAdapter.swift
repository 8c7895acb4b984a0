import SharedWire

/// The rules of the slcan adapter the simulator plays on its CAN port: a bit rate must be
/// set (`S0`–`S8`) while closed, `O` opens the channel, `C` closes it; each command is
/// answered `\r` (done) or BELL (refused, or a line that is no slcan). While open, frames
/// from the host are taken (`\r`) and handed to the BMS, whose answers go back as received
/// frames, and the BMS's periodic frames flow.
public struct SimulatedSLCANAdapter: Sendable {
    /// Where the channel is.
    public enum State: Hashable, Sendable {
        /// Closed, with the bit rate set so far.
        case closed(SLCANBitRate?)
        /// Open at a bit rate.
        case open(SLCANBitRate)
    }

    /// Where the channel is.
    public private(set) var state: State = .closed(nil)

    public init() {}

    /// True while frames flow.
    public var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    /// Takes one decoded line. `answering` gives the BMS's frames in answer to a frame from
    /// the host. Returns what to send back, in order.
    public mutating func receive(_ input: SLCANDecoder.Output, answering: (CANFrame) -> [CANFrame]) -> [SLCANMessage] {
        guard case .message(let message) = input else { return [.error] }
        switch (message, state) {
        case (.setBitRate(let rate), .closed):
            state = .closed(rate)
            return [.ok]
        case (.open, .closed(let rate?)):
            state = .open(rate)
            return [.ok]
        case (.close, .open(let rate)):
            state = .closed(rate)
            return [.ok]
        case (.frame(let frame), .open):
            return [.ok] + answering(frame).map(SLCANMessage.frame)
        case (.ok, _), (.error, _):
            return []  // an empty line (hosts send a few to flush the adapter) or a stray BELL
        default:
            return [.error]
        }
    }
}
