/// A server's COM-PORT-OPTION message to the client: the answer to a command (its code +
/// 100) or a notification (line and modem state).
public enum ComPortAnswer: Equatable, Sendable {
    /// The server's signature text.
    case signature(String)
    /// The baud rate in effect.
    case baudRate(UInt32)
    /// The data size in effect.
    case dataSize(UInt8)
    /// The parity in effect.
    case parity(SerialParameters.Parity)
    /// The stop bits in effect.
    case stopSize(SerialParameters.StopBits)
    /// A SET-CONTROL state: flow control, BREAK, DTR or RTS.
    case control(ComPortControl)
    /// Line-state bits (masked).
    case lineState(UInt8)
    /// Modem-state bits (masked).
    case modemState(UInt8)
    /// The line-state mask in effect.
    case lineStateMask(UInt8)
    /// The modem-state mask in effect.
    case modemStateMask(UInt8)
    /// The purge done (1 receive, 2 transmit, 3 both).
    case purgeData(UInt8)

    /// The client command this answers.
    public var command: ComPortCommand {
        switch self {
        case .signature: .signature
        case .baudRate: .setBaudRate
        case .dataSize: .setDataSize
        case .parity: .setParity
        case .stopSize: .setStopSize
        case .control: .setControl
        case .lineState: .notifyLineState
        case .modemState: .notifyModemState
        case .lineStateMask: .setLineStateMask
        case .modemStateMask: .setModemStateMask
        case .purgeData: .purgeData
        }
    }

    /// The code on the wire: the command + 100.
    public var serverCode: UInt8 { command.serverCode }

    /// The value on the wire, before IAC doubling.
    public var valueBytes: [UInt8] {
        switch self {
        case .signature(let text): Array(text.utf8)
        case .baudRate(let rate): [UInt8(rate >> 24), UInt8(rate >> 16 & 0xFF), UInt8(rate >> 8 & 0xFF), UInt8(rate & 0xFF)]
        case .dataSize(let bits): [bits]
        case .parity(let parity): [parity.rawValue]
        case .stopSize(let stop): [stop.rawValue]
        case .control(let control): [control.rawValue]
        case .lineState(let bits), .modemState(let bits), .lineStateMask(let bits), .modemStateMask(let bits):
            [bits]
        case .purgeData(let target): [target]
        }
    }
}
