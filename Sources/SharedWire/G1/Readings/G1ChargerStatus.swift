/// CS1: chargers connected and what they are asked for and deliver.
public struct G1ChargerStatus: Equatable, Sendable {
    public let connectedChargers: Int
    /// CAN charger status, raw.
    public let canStatus: Int
    /// Requested voltage and current (× 0.1 V, × 0.1 A).
    public let setVoltage: Double
    public let setCurrent: Double
    /// Delivered voltage and current, with the same scaling (the reference gives none).
    public let actualVoltage: Double
    public let actualCurrent: Double

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("CS1")
        connectedChargers = try sentence.hexInt(1, max: G1Limits.maxByte)
        canStatus = try sentence.hexInt(2, max: G1Limits.maxWord)
        setVoltage = Double(try sentence.hex(3)) / 10
        setCurrent = Double(try sentence.hex(4)) / 10
        actualVoltage = Double(try sentence.hex(5)) / 10
        actualCurrent = Double(try sentence.hex(6)) / 10
    }
}
