/// BV2, BT2, BT4 or BB2: per-cell values for one group of up to 8 cells. A full reading
/// takes one sentence per group.
public struct G1CellGroup: Equatable, Sendable {
    /// What the values are.
    public enum Kind: Equatable, Sendable {
        /// BV2, volts.
        case cellVoltage
        /// BT2, °C.
        case moduleTemperature
        /// BT4, °C.
        case cellTemperature
        /// BB2, percent.
        case balancingRate
    }

    public let kind: Kind
    /// Cell string (field 1).
    public let string: Int
    /// Number of the group's first cell (field 2, 1-based).
    public let firstCell: Int
    /// One value per cell of the group (field 4), scaled by `kind`.
    public let values: [Double]

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("BV2", "BT2", "BT4", "BB2")
        let scale: (UInt8) -> Double
        switch sentence.name {
        case "BV2": (kind, scale) = (.cellVoltage, G1Scaling.cellVoltage)
        case "BT2": (kind, scale) = (.moduleTemperature, G1Scaling.temperature)
        case "BT4": (kind, scale) = (.cellTemperature, G1Scaling.temperature)
        default: (kind, scale) = (.balancingRate, G1Scaling.balancingRate)
        }
        string = try sentence.hexInt(1, max: G1Limits.maxByte)
        firstCell = try sentence.hexInt(2, max: G1Limits.maxWord)
        let size = try sentence.hexInt(3, max: G1Limits.maxByte)
        let bytes = try sentence.byteArray(4)
        guard (1...8).contains(size), bytes.count == size else {
            throw G1FieldError(
                sentence: sentence.name, field: 4, found: sentence.field(4),
                expected: "\(size) bytes as field 3 says (groups hold 1 to 8 cells)")
        }
        values = bytes.map(scale)
    }
}
