/// BB1: balancing summary. Values are `nil` when the BMS cannot talk to its cells.
public struct G1BalancingSummary: Equatable, Sendable {
    public let cellCount: Int?
    /// Lowest, highest and average balancing rate, percent (b × 100 / 255).
    public let minimum: Double?
    public let maximum: Double?
    public let average: Double?
    /// Cell voltage above which balancing starts, volts ((b + 200) × 0.01 V), field 6.
    public let threshold: Double?

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("BB1")
        guard let count = try sentence.optionalHexInt(1, max: G1Limits.maxWord) else {
            (cellCount, minimum, maximum, average, threshold) = (nil, nil, nil, nil, nil)
            return
        }
        cellCount = count
        minimum = G1Scaling.balancingRate(UInt8(truncatingIfNeeded: try sentence.hex(2)))
        maximum = G1Scaling.balancingRate(UInt8(truncatingIfNeeded: try sentence.hex(3)))
        average = G1Scaling.balancingRate(UInt8(truncatingIfNeeded: try sentence.hex(4)))
        threshold = try sentence.optionalHex(6).map { G1Scaling.cellVoltage(UInt8(truncatingIfNeeded: $0)) }
    }
}
