/// CV1: pack current and voltage.
public struct G1CurrentAndVoltage: Equatable, Sendable {
    /// Total pack voltage, volts (field 1, hex × 0.01 V).
    public let totalVoltage: Double
    /// Pack current, amperes (field 2, signed 16-bit hex × 0.1 A; positive is charging,
    /// which the reference marks as not certain).
    public let current: Double

    public init(totalVoltage: Double, current: Double) {
        self.totalVoltage = totalVoltage
        self.current = current
    }

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("CV1")
        totalVoltage = Double(try sentence.hex(1)) / 100
        current = Double(try sentence.signedHex(2, bits: 16)) / 10
    }
}
