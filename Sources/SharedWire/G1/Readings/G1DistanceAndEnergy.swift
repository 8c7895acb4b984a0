/// DT1: distance and energy. The reference names the first six of its twelve fields; the
/// rest are kept raw.
public struct G1DistanceAndEnergy: Equatable, Sendable {
    /// Speed (field 1, × 0.1).
    public let speed: Double
    /// Distance since the last charge (field 2, × 0.01).
    public let distanceSinceCharge: Double
    /// Momentary consumption (field 3, × 0.1).
    public let momentaryConsumption: Double
    /// Estimated distance left (field 4).
    public let estimatedDistanceLeft: Double
    /// Energy of the last charge (field 5).
    public let lastChargeEnergy: Double
    /// Energy of the last discharge (field 6).
    public let lastDischargeEnergy: Double
    /// All twelve fields as unscaled numbers; `nil` where a field is empty.
    public let raw: [UInt64?]

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("DT1")
        let fields = try (1...12).map { try sentence.optionalHex($0) }
        raw = fields
        speed = try Self.number(fields, 1) / 10
        distanceSinceCharge = try Self.number(fields, 2) / 100
        momentaryConsumption = try Self.number(fields, 3) / 10
        estimatedDistanceLeft = try Self.number(fields, 4)
        lastChargeEnergy = try Self.number(fields, 5)
        lastDischargeEnergy = try Self.number(fields, 6)
    }

    private static func number(_ fields: [UInt64?], _ position: Int) throws -> Double {
        guard let number = fields[position - 1] else {
            throw G1FieldError(sentence: "DT1", field: position, found: "", expected: "hexadecimal digits")
        }
        return Double(number)
    }
}
