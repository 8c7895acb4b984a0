/// BC1: charge, capacity and state of charge.
public struct G1ChargeState: Equatable, Sendable {
    /// Charge in the pack, coulombs (field 1).
    public let charge: Double
    /// Capacity, coulombs (field 2).
    public let capacity: Double
    /// State of charge, percent (field 3, × 0.01 %).
    public let stateOfCharge: Double

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("BC1")
        charge = Double(try sentence.hex(1))
        capacity = Double(try sentence.hex(2))
        stateOfCharge = Double(try sentence.hex(3)) / 100
    }
}
