/// One CAN frame: an 11-bit (standard) or 29-bit (extended) identifier and up to 8 data
/// bytes, or a remote frame that asks for `length` bytes and carries none.
///
/// Built only through the throwing initialisers, so a frame in hand is always valid.
public struct CANFrame: Hashable, Sendable, CustomStringConvertible {
    /// Largest standard (11-bit) identifier.
    public static let maxStandardID: UInt32 = 0x7FF
    /// Largest extended (29-bit) identifier.
    public static let maxExtendedID: UInt32 = 0x1FFF_FFFF
    /// Classic CAN carries at most 8 data bytes.
    public static let maxDataLength = 8

    /// The identifier.
    public let id: UInt32
    /// True for a 29-bit identifier, false for an 11-bit one.
    public let isExtended: Bool
    /// True for a remote (request) frame, which has a length but no data.
    public let isRemote: Bool
    /// The data bytes; empty for a remote frame.
    public let data: [UInt8]
    /// The data length code: the number of data bytes, or the length a remote frame asks for.
    public let length: Int

    /// A data frame. Throws when the identifier does not fit its kind or there are more than
    /// 8 bytes.
    public init(id: UInt32, extended: Bool, data: [UInt8]) throws {
        try Self.check(id: id, extended: extended)
        guard data.count <= Self.maxDataLength else {
            throw CANFrameError.tooMuchData(id: id, count: data.count)
        }
        self.id = id
        self.isExtended = extended
        self.isRemote = false
        self.data = data
        self.length = data.count
    }

    /// A remote frame asking for `length` (0–8) bytes.
    public init(remoteID id: UInt32, extended: Bool, length: Int = 0) throws {
        try Self.check(id: id, extended: extended)
        guard (0...Self.maxDataLength).contains(length) else {
            throw CANFrameError.badRemoteLength(id: id, length: length)
        }
        self.id = id
        self.isExtended = extended
        self.isRemote = true
        self.data = []
        self.length = length
    }

    private static func check(id: UInt32, extended: Bool) throws {
        let limit = extended ? maxExtendedID : maxStandardID
        guard id <= limit else { throw CANFrameError.idOutOfRange(id: id, extended: extended) }
    }

    /// `18FF50E5#0102` style, as candump prints frames (`#R` plus length for remote frames).
    public var description: String {
        let idText = Self.hex(id, width: isExtended ? 8 : 3)
        if isRemote { return "\(idText)#R\(length)" }
        return idText + "#" + data.map { Self.hex(UInt32($0), width: 2) }.joined()
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
