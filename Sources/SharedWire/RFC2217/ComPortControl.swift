/// The values of SET-CONTROL (RFC 2217): asks, flow control, BREAK, DTR and RTS.
public enum ComPortControl: UInt8, Sendable, CaseIterable {
    case askOutboundFlow = 0
    case outboundFlowNone = 1
    case outboundFlowXonXoff = 2
    case outboundFlowHardware = 3
    case askBreak = 4
    case breakOn = 5
    case breakOff = 6
    case askDTR = 7
    case dtrOn = 8
    case dtrOff = 9
    case askRTS = 10
    case rtsOn = 11
    case rtsOff = 12
    case askInboundFlow = 13
    case inboundFlowNone = 14
    case inboundFlowXonXoff = 15
    case inboundFlowHardware = 16
    /// DCD flow control (outbound); a termios port cannot do it.
    case outboundFlowDCD = 17
    /// DTR flow control (inbound); a termios port cannot do it.
    case inboundFlowDTR = 18
    /// DSR flow control (outbound); a termios port cannot do it.
    case outboundFlowDSR = 19

    /// The value that reports `flow` for the outbound (1–3) or inbound (14–16) direction.
    public static func flow(_ flow: SerialParameters.FlowControl, inbound: Bool) -> ComPortControl {
        switch (flow, inbound) {
        case (.none, false): .outboundFlowNone
        case (.xonXoff, false): .outboundFlowXonXoff
        case (.hardware, false): .outboundFlowHardware
        case (.none, true): .inboundFlowNone
        case (.xonXoff, true): .inboundFlowXonXoff
        case (.hardware, true): .inboundFlowHardware
        }
    }

    /// The flow control this value sets, for 1–3 and 14–16.
    public var flowControl: SerialParameters.FlowControl? {
        switch self {
        case .outboundFlowNone, .inboundFlowNone: SerialParameters.FlowControl.none
        case .outboundFlowXonXoff, .inboundFlowXonXoff: .xonXoff
        case .outboundFlowHardware, .inboundFlowHardware: .hardware
        default: nil
        }
    }
}
