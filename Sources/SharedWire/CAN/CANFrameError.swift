/// A CAN frame that cannot exist: the message names the identifier and what is allowed.
public enum CANFrameError: Error, Equatable, CustomStringConvertible {
    /// The identifier does not fit in 11 bits (standard) or 29 bits (extended).
    case idOutOfRange(id: UInt32, extended: Bool)
    /// More than 8 data bytes.
    case tooMuchData(id: UInt32, count: Int)
    /// A remote frame asking for a length outside 0–8.
    case badRemoteLength(id: UInt32, length: Int)

    public var description: String {
        switch self {
        case .idOutOfRange(let id, let extended):
            "CAN ID 0x\(String(id, radix: 16, uppercase: true)) does not fit a \(extended ? "29-bit extended" : "11-bit standard") identifier (max 0x\(String(extended ? CANFrame.maxExtendedID : CANFrame.maxStandardID, radix: 16, uppercase: true)))"
        case .tooMuchData(let id, let count):
            "CAN frame 0x\(String(id, radix: 16, uppercase: true)) has \(count) data bytes, at most \(CANFrame.maxDataLength) allowed"
        case .badRemoteLength(let id, let length):
            "remote CAN frame 0x\(String(id, radix: 16, uppercase: true)) asks for \(length) bytes, expected 0 to \(CANFrame.maxDataLength)"
        }
    }
}
