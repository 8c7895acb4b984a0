/// BV1: cell voltage summary. Every value is `nil` when the BMS reports it cannot talk to
/// its cells (an empty first field).
public struct G1CellVoltageSummary: Equatable, Sendable {
    public let cellCount: Int?
    /// Lowest, highest and average cell voltage, volts ((b + 200) × 0.01 V).
    public let minimum: Double?
    public let maximum: Double?
    public let average: Double?
    /// Total voltage, volts (× 0.01 V).
    public let totalVoltage: Double?

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("BV1")
        guard let count = try sentence.optionalHexInt(1, max: G1Limits.maxWord) else {
            (cellCount, minimum, maximum, average, totalVoltage) = (nil, nil, nil, nil, nil)
            return
        }
        cellCount = count
        minimum = G1Scaling.cellVoltage(UInt8(truncatingIfNeeded: try sentence.hex(2)))
        maximum = G1Scaling.cellVoltage(UInt8(truncatingIfNeeded: try sentence.hex(3)))
        average = G1Scaling.cellVoltage(UInt8(truncatingIfNeeded: try sentence.hex(4)))
        totalVoltage = Double(try sentence.hex(5)) / 100
    }

    /// False when the BMS cannot talk to its cells.
    public var cellsReachable: Bool { cellCount != nil }
}
