/// The commands of RFC 2217's COM-PORT-OPTION as a client sends them. A server answers a
/// command with its code + 100 (`serverCode`).
public enum ComPortCommand: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case signature = 0
    case setBaudRate = 1
    case setDataSize = 2
    case setParity = 3
    case setStopSize = 4
    case setControl = 5
    case notifyLineState = 6
    case notifyModemState = 7
    case flowControlSuspend = 8
    case flowControlResume = 9
    case setLineStateMask = 10
    case setModemStateMask = 11
    case purgeData = 12

    /// The code a server uses for the same command.
    public var serverCode: UInt8 { rawValue + 100 }

    public var description: String {
        switch self {
        case .signature: "SIGNATURE"
        case .setBaudRate: "SET-BAUDRATE"
        case .setDataSize: "SET-DATASIZE"
        case .setParity: "SET-PARITY"
        case .setStopSize: "SET-STOPSIZE"
        case .setControl: "SET-CONTROL"
        case .notifyLineState: "NOTIFY-LINESTATE"
        case .notifyModemState: "NOTIFY-MODEMSTATE"
        case .flowControlSuspend: "FLOWCONTROL-SUSPEND"
        case .flowControlResume: "FLOWCONTROL-RESUME"
        case .setLineStateMask: "SET-LINESTATE-MASK"
        case .setModemStateMask: "SET-MODEMSTATE-MASK"
        case .purgeData: "PURGE-DATA"
        }
    }
}
