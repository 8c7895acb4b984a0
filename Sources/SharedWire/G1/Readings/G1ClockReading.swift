/// TD1: the BMS clock (decimal fields) and its uptime (hex seconds). The reference has one
/// source for this layout.
public struct G1ClockReading: Equatable, Sendable {
    public let year: Int
    public let month: Int
    public let day: Int
    public let hour: Int
    public let minute: Int
    public let second: Int
    /// Seconds since the BMS started (field 7).
    public let uptime: UInt64

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("TD1")
        year = try sentence.decimal(1)
        month = try sentence.decimal(2)
        day = try sentence.decimal(3)
        hour = try sentence.decimal(4)
        minute = try sentence.decimal(5)
        second = try sentence.decimal(6)
        uptime = try sentence.hex(7)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            throw G1FieldError(sentence: "TD1", field: 2, found: sentence.checkedText, expected: "a valid date and time")
        }
    }
}
