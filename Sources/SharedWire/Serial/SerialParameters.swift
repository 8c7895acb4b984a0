/// Line settings of a serial port: what the far end should configure for a session.
public struct SerialParameters: Equatable, Sendable, CustomStringConvertible {
    /// Bits per second; 0 means "the agent's configured speed" (`settings.json` `serial.speed`).
    public var baudRate: UInt32
    /// Data bits per character, 5 to 8.
    public var dataBits: UInt8
    /// Parity bit.
    public var parity: Parity
    /// Stop bits.
    public var stopBits: StopBits
    /// Flow control.
    public var flowControl: FlowControl

    public init(
        baudRate: UInt32 = 0, dataBits: UInt8 = 8, parity: Parity = .none,
        stopBits: StopBits = .one, flowControl: FlowControl = .none
    ) {
        self.baudRate = baudRate
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.flowControl = flowControl
    }

    /// The EMUS G1 default: 57600 8N1, no flow control.
    public static let g1Default = SerialParameters(baudRate: 57_600)

    public var description: String {
        let speed = baudRate == 0 ? "default" : String(baudRate)
        return "\(speed) \(dataBits)\(parity.letter)\(stopBits.text) flow=\(flowControl)"
    }

    /// Parity values as on the wire (the numbering of RFC 2217's SET-PARITY).
    public enum Parity: UInt8, Sendable, CaseIterable {
        case none = 1
        case odd = 2
        case even = 3
        case mark = 4
        case space = 5
        var letter: String {
            switch self {
            case .none: "N"
            case .odd: "O"
            case .even: "E"
            case .mark: "M"
            case .space: "S"
            }
        }
    }

    /// Stop bits as on the wire (the numbering of RFC 2217's SET-STOPSIZE).
    public enum StopBits: UInt8, Sendable, CaseIterable {
        case one = 1
        case two = 2
        case onePointFive = 3
        var text: String {
            switch self {
            case .one: "1"
            case .two: "2"
            case .onePointFive: "1.5"
            }
        }
    }

    /// Flow control as on the wire.
    public enum FlowControl: UInt8, Sendable, CaseIterable {
        case none = 1
        case xonXoff = 2
        case hardware = 3
    }
}
