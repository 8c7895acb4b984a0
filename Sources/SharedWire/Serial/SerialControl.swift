/// A serial control operation a client asks the agent to apply to the real port.
///
/// Travels in order with serial data on a session's data connection.
public enum SerialControl: Equatable, Sendable {
    case setBaudRate(UInt32)
    case setDataBits(UInt8)
    case setParity(SerialParameters.Parity)
    case setStopBits(SerialParameters.StopBits)
    case setFlowControl(SerialParameters.FlowControl)
    case setDTR(Bool)
    case setRTS(Bool)
    /// Holds the line in BREAK for the given milliseconds.
    case sendBreak(milliseconds: UInt32)
    /// Sets (true) or clears (false) a BREAK condition indefinitely.
    case setBreak(Bool)
    case purge(PurgeTarget)
    /// Asks for the modem state; the `SERIAL_CONTROL_RESULT` value carries it (RFC 2217 bits).
    case queryState

    /// Which buffers a purge discards.
    public enum PurgeTarget: UInt32, Sendable {
        case receive = 1, transmit = 2, both = 3
    }

    /// The operation's code on the wire.
    public enum Operation: UInt8, Sendable, CaseIterable {
        case setBaudRate = 1, setDataBits = 2, setParity = 3, setStopBits = 4, setFlowControl = 5
        case setDTR = 6, setRTS = 7, sendBreak = 8, setBreak = 9, purge = 10, queryState = 11
    }

    public var operation: Operation {
        switch self {
        case .setBaudRate: .setBaudRate
        case .setDataBits: .setDataBits
        case .setParity: .setParity
        case .setStopBits: .setStopBits
        case .setFlowControl: .setFlowControl
        case .setDTR: .setDTR
        case .setRTS: .setRTS
        case .sendBreak: .sendBreak
        case .setBreak: .setBreak
        case .purge: .purge
        case .queryState: .queryState
        }
    }

    /// The operation's 32-bit argument on the wire.
    public var value: UInt32 {
        switch self {
        case .setBaudRate(let v): v
        case .setDataBits(let v): UInt32(v)
        case .setParity(let v): UInt32(v.rawValue)
        case .setStopBits(let v): UInt32(v.rawValue)
        case .setFlowControl(let v): UInt32(v.rawValue)
        case .setDTR(let on), .setRTS(let on), .setBreak(let on): on ? 1 : 0
        case .sendBreak(let ms): ms
        case .purge(let target): target.rawValue
        case .queryState: 0
        }
    }

    /// Builds an operation from its wire code and argument, or throws naming what was wrong.
    public init(operation code: UInt8, value: UInt32) throws {
        guard let operation = Operation(rawValue: code) else {
            throw TunnelProtocolError(.protocolError, "unknown serial control operation \(code)")
        }
        func narrow<T: RawRepresentable>(_ type: T.Type) throws -> T where T.RawValue: FixedWidthInteger {
            guard let raw = T.RawValue(exactly: value), let result = T(rawValue: raw) else {
                throw TunnelProtocolError(.protocolError, "value \(value) is not valid for \(operation)")
            }
            return result
        }
        switch operation {
        case .setBaudRate: self = .setBaudRate(value)
        case .setDataBits:
            guard (5...8).contains(value) else {
                throw TunnelProtocolError(.protocolError, "data bits \(value), expected 5 to 8")
            }
            self = .setDataBits(UInt8(value))
        case .setParity: self = .setParity(try narrow(SerialParameters.Parity.self))
        case .setStopBits: self = .setStopBits(try narrow(SerialParameters.StopBits.self))
        case .setFlowControl: self = .setFlowControl(try narrow(SerialParameters.FlowControl.self))
        case .setDTR: self = .setDTR(value != 0)
        case .setRTS: self = .setRTS(value != 0)
        case .sendBreak: self = .sendBreak(milliseconds: value)
        case .setBreak: self = .setBreak(value != 0)
        case .purge: self = .purge(try narrow(PurgeTarget.self))
        case .queryState: self = .queryState
        }
    }
}

/// The agent's answer to a `SerialControl`: the value actually in effect afterwards.
public struct SerialControlResult: Equatable, Sendable {
    public var operation: SerialControl.Operation
    /// The value in effect after the operation (for example the baud rate the port accepted).
    public var value: UInt32
    public var status: Status

    public init(operation: SerialControl.Operation, value: UInt32, status: Status) {
        self.operation = operation
        self.value = value
        self.status = status
    }

    public enum Status: UInt8, Sendable {
        case applied = 0
        /// The port cannot do this (for example a PTY has no BREAK).
        case unsupported = 1
        case failed = 2
    }
}

/// Line and modem state bits as in RFC 2217's NOTIFY-LINESTATE and NOTIFY-MODEMSTATE.
public struct SerialState: Equatable, Sendable {
    public var lineState: UInt8
    public var modemState: UInt8

    public init(lineState: UInt8, modemState: UInt8) {
        self.lineState = lineState
        self.modemState = modemState
    }
}
