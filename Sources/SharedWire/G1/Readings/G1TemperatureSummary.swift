/// BT1 (cell-module temperatures) or BT3 (cell temperatures from external sensors): summary.
/// Values are `nil` when the BMS cannot talk to its cells.
public struct G1TemperatureSummary: Equatable, Sendable {
    /// Which sensors the sentence summarises.
    public enum Source: Equatable, Sendable { case cellModules, cells }

    public let source: Source
    public let sensorCount: Int?
    /// Lowest, highest and average temperature, °C (b − 100).
    public let minimum: Double?
    public let maximum: Double?
    public let average: Double?

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("BT1", "BT3")
        source = sentence.name == "BT1" ? .cellModules : .cells
        guard let count = try sentence.optionalHexInt(1, max: G1Limits.maxWord) else {
            (sensorCount, minimum, maximum, average) = (nil, nil, nil, nil)
            return
        }
        sensorCount = count
        minimum = G1Scaling.temperature(UInt8(truncatingIfNeeded: try sentence.hex(2)))
        maximum = G1Scaling.temperature(UInt8(truncatingIfNeeded: try sentence.hex(3)))
        average = G1Scaling.temperature(UInt8(truncatingIfNeeded: try sentence.hex(4)))
    }
}
