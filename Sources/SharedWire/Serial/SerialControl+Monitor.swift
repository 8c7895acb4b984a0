extension SerialControl {
    /// True for the one operation that only reads the port (`queryState`): a monitor session
    /// may ask it. Every other operation changes the line and is refused to monitors.
    public var onlyReads: Bool { self == .queryState }
}

extension SerialControlResult {
    /// The answer to an operation refused by a party that cannot read the port (the relay, for
    /// a monitor session): `unsupported`, with the values PROTOCOL.md section 8.5 gives for a
    /// port whose settings cannot be read (baud rate 0, 8 data bits, no parity, one stop bit,
    /// no flow control) and the request's own value for operations 6–10.
    public static func refusedUnread(_ control: SerialControl) -> SerialControlResult {
        let value: UInt32 =
            switch control {
            case .setBaudRate: 0
            case .setDataBits: 8
            case .setParity: UInt32(SerialParameters.Parity.none.rawValue)
            case .setStopBits: UInt32(SerialParameters.StopBits.one.rawValue)
            case .setFlowControl: UInt32(SerialParameters.FlowControl.none.rawValue)
            case .queryState: 0
            case .setDTR, .setRTS, .sendBreak, .setBreak, .purge: control.value
            }
        return SerialControlResult(operation: control.operation, value: value, status: .unsupported)
    }
}

extension SerialControl {
    /// Longest BREAK an agent holds, for `sendBreak` and for a `setBreak` never cleared: a
    /// client cannot keep the BMS line (or anything waiting behind the break) held for longer.
    /// Five seconds is far past any break a device uses to reset or wake (RFC 2217 clients
    /// send 250 ms).
    public static let maxBreakMilliseconds: UInt32 = 5_000

    /// The milliseconds a `sendBreak` of `requested` holds the line: 1 to `maxBreakMilliseconds`.
    public static func heldBreak(_ requested: UInt32) -> UInt32 {
        min(max(requested, 1), maxBreakMilliseconds)
    }
}
