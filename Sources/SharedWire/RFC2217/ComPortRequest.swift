import NIOCore

/// A client's COM-PORT-OPTION command with its value, read from `TelnetEvent.comPort`.
/// Values stay as numbers here: which ones are valid (and 0, which asks) is for the server's
/// rules to judge, so that it can answer an invalid one with what is in effect.
public enum ComPortRequest: Equatable, Sendable {
    /// The client's signature text; empty asks for the server's.
    case signature(String)
    /// Bits per second; 0 asks.
    case setBaudRate(UInt32)
    /// 5 to 8; 0 asks.
    case setDataSize(UInt8)
    /// RFC 2217 numbering (1 none … 5 space); 0 asks.
    case setParity(UInt8)
    /// 1 one, 2 two, 3 one and a half; 0 asks.
    case setStopSize(UInt8)
    /// A SET-CONTROL value (`ComPortControl` when known).
    case setControl(UInt8)
    /// Line state; meant for server → client, a client sending it is ignored.
    case notifyLineState(UInt8?)
    /// A request for the modem state (pyserial's poll sends no value).
    case notifyModemState(UInt8?)
    /// The client asks the server to stop sending data.
    case flowControlSuspend
    /// The client asks the server to send data again.
    case flowControlResume
    case setLineStateMask(UInt8)
    case setModemStateMask(UInt8)
    /// 1 receive buffer, 2 transmit buffer, 3 both.
    case purgeData(UInt8)

    /// Reads a command code and its unescaped value, or throws naming what is wrong.
    public init(command code: UInt8, value: ByteBuffer) throws(ComPortRequestError) {
        guard let command = ComPortCommand(rawValue: code) else {
            throw ComPortRequestError(command: code, problem: "is not a COM-PORT-OPTION client command (0 to 12)")
        }
        var value = value
        func byte() throws(ComPortRequestError) -> UInt8 {
            guard value.readableBytes == 1, let byte = value.readInteger(as: UInt8.self) else {
                throw ComPortRequestError(command: code, problem: "has a \(value.readableBytes)-byte value, expected 1 byte")
            }
            return byte
        }
        func optionalByte() throws(ComPortRequestError) -> UInt8? { value.readableBytes == 0 ? nil : try byte() }
        switch command {
        case .signature:
            self = .signature(String(decoding: value.readableBytesView, as: UTF8.self))
        case .setBaudRate:
            guard value.readableBytes == 4, let rate = value.readInteger(as: UInt32.self) else {
                throw ComPortRequestError(command: code, problem: "has a \(value.readableBytes)-byte value, expected 4 bytes")
            }
            self = .setBaudRate(rate)
        case .setDataSize: self = .setDataSize(try byte())
        case .setParity: self = .setParity(try byte())
        case .setStopSize: self = .setStopSize(try byte())
        case .setControl: self = .setControl(try byte())
        case .notifyLineState: self = .notifyLineState(try optionalByte())
        case .notifyModemState: self = .notifyModemState(try optionalByte())
        case .flowControlSuspend: self = .flowControlSuspend
        case .flowControlResume: self = .flowControlResume
        case .setLineStateMask: self = .setLineStateMask(try byte())
        case .setModemStateMask: self = .setModemStateMask(try byte())
        case .purgeData: self = .purgeData(try byte())
        }
    }

    /// The command this request is.
    public var command: ComPortCommand {
        switch self {
        case .signature: .signature
        case .setBaudRate: .setBaudRate
        case .setDataSize: .setDataSize
        case .setParity: .setParity
        case .setStopSize: .setStopSize
        case .setControl: .setControl
        case .notifyLineState: .notifyLineState
        case .notifyModemState: .notifyModemState
        case .flowControlSuspend: .flowControlSuspend
        case .flowControlResume: .flowControlResume
        case .setLineStateMask: .setLineStateMask
        case .setModemStateMask: .setModemStateMask
        case .purgeData: .purgeData
        }
    }
}
