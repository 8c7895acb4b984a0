/// What an RFC 2217 server believes is in effect on the far serial port: updated from every
/// answer the port gives, and used to answer the client's "ask" requests without a round trip.
public struct ComPortSettings: Equatable, Sendable {
    /// Speed, data bits, parity, stop bits and flow control.
    public var parameters: SerialParameters
    /// DTR as last set (a PTY has no DTR: the state recorded is the one asked for).
    public var dtr: Bool
    /// RTS as last set.
    public var rts: Bool
    /// Whether a BREAK condition is set.
    public var breakOn: Bool
    /// Which line-state bits the client wants to hear about (RFC 2217 default: none).
    public var lineStateMask: UInt8
    /// Which modem-state bits the client wants to hear about (RFC 2217 default: all).
    public var modemStateMask: UInt8
    /// The modem lines last reported by the port (CD, RI, DSR, CTS; no delta bits), if any.
    public var modemState: UInt8?

    /// Until the port answers, the agent's usual settings: the G1 default of 57600 8N1 and
    /// DTR and RTS raised, as a serial port is after it is opened.
    public init(
        parameters: SerialParameters = .g1Default, dtr: Bool = true, rts: Bool = true, breakOn: Bool = false,
        lineStateMask: UInt8 = 0, modemStateMask: UInt8 = 0xFF, modemState: UInt8? = nil
    ) {
        self.parameters = parameters
        self.dtr = dtr
        self.rts = rts
        self.breakOn = breakOn
        self.lineStateMask = lineStateMask
        self.modemStateMask = modemStateMask
        self.modemState = modemState
    }

    /// `state` with the RFC 2217 delta bits against the last report: delta CD, trailing
    /// edge of RI, delta DSR, delta CTS.
    public func modemStateWithDeltas(_ state: UInt8) -> UInt8 {
        let lines = state & 0xF0
        guard let previous = modemState else { return lines }
        var deltas = ((previous ^ lines) & 0xB0) >> 4
        if previous & 0x40 != 0 && lines & 0x40 == 0 { deltas |= 0x04 }
        return lines | deltas
    }
}
