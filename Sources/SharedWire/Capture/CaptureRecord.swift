/// One chunk of a session's serial traffic in a capture file (one JSON object per line):
/// when it passed, which way, the bytes, and the G1 lines it completed.
public struct CaptureRecord: Codable, Equatable, Sendable {
    /// Which way the bytes went.
    public enum Direction: String, Codable, Sendable {
        /// From the Control Panel to the BMS.
        case toDevice = "to_device"
        /// From the BMS to the Control Panel.
        case fromDevice = "from_device"
    }

    /// Seconds since 1970-01-01 UTC, to the microsecond.
    public let time: Double
    public let direction: Direction
    /// The bytes, as lowercase hex.
    public let hex: String
    /// G1 lines this chunk completed (without line ends), in order.
    public let lines: [String]

    public init(time: Double, direction: Direction, bytes: some Sequence<UInt8>, lines: [String]) {
        self.time = time
        self.direction = direction
        self.hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        self.lines = lines
    }

    enum CodingKeys: String, CodingKey {
        case time = "t"
        case direction = "dir"
        case hex, lines
    }
}
