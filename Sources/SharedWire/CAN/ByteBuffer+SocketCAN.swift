import NIOCore

/// Linux SocketCAN's `struct can_frame` as a raw CAN socket reads it: 16 bytes, host byte
/// order (little-endian on every gateway we target): `can_id` (u32: ID in the low 29 bits,
/// 0x80000000 extended, 0x40000000 remote, 0x20000000 error frame), `len` (u8), three padding
/// or reserved bytes, eight data bytes.
public enum SocketCANFrame {
    /// Size of one frame on the socket.
    public static let size = 16
    static let extendedFlag: UInt32 = 0x8000_0000
    static let remoteFlag: UInt32 = 0x4000_0000
    static let errorFlag: UInt32 = 0x2000_0000
}

extension ByteBuffer {
    /// Reads one SocketCAN frame, or returns nil (consuming nothing) while fewer than 16 bytes
    /// are there. An error frame or a length over 8 is consumed and thrown as malformed.
    public mutating func readSocketCANFrame() throws -> CANFrame? {
        guard readableBytes >= SocketCANFrame.size,
            let raw = readInteger(endianness: .little, as: UInt32.self),
            let length = readInteger(as: UInt8.self)
        else { return nil }
        moveReaderIndex(forwardBy: 3)
        let data = readBytes(length: 8)!
        if raw & SocketCANFrame.errorFlag != 0 { throw SocketCANFrameError.errorFrame(id: raw & CANFrame.maxExtendedID) }
        guard length <= 8 else { throw SocketCANFrameError.badLength(Int(length)) }
        let extended = raw & SocketCANFrame.extendedFlag != 0
        let id = raw & (extended ? CANFrame.maxExtendedID : CANFrame.maxStandardID)
        if raw & SocketCANFrame.remoteFlag != 0 { return try CANFrame(remoteID: id, extended: extended, length: Int(length)) }
        return try CANFrame(id: id, extended: extended, data: Array(data.prefix(Int(length))))
    }
}

/// A SocketCAN frame that carries no data frame.
public enum SocketCANFrameError: Error, Equatable, CustomStringConvertible {
    /// The controller reported a bus error (class bits in the ID).
    case errorFrame(id: UInt32)
    /// A length over 8 (CAN FD frames are not read: the socket is not put in FD mode).
    case badLength(Int)

    public var description: String {
        switch self {
        case .errorFrame(let id): "a CAN error frame (class 0x\(String(id, radix: 16)))"
        case .badLength(let length): "a frame length of \(length), expected 0 to 8"
        }
    }
}
