/// How a param's raw number becomes its value, shared by G1 and CAN params (seed manual 6.2):
/// `value = (raw + offset) × factor`, rounded to `decimals` places when `decimals` ≥ 0.
public struct ParamScaling: Sendable, Equatable {
    /// `type`: what kind of value a param gives.
    public enum ValueType: String, Sendable, Equatable, CaseIterable {
        /// A number: raw, offset and factor applied, rounded to `decimals` places (decimal
        /// fixed point, so 62.67 is sent as 62.67, not 62.670000000000002).
        case fixed = "FIXED"
        /// A flag: true when the scaled number is not zero.
        case bool = "BOOL"
    }

    /// `big_end`: multi-byte values are big-endian (most significant byte first).
    public let bigEndian: Bool
    /// `signed`: the raw number is two's complement over its width.
    public let signed: Bool
    /// `offset`: added to the raw number before the factor, for example 200 for a cell-voltage byte.
    public let offset: Double
    /// `factor`: multiplies raw + offset, for example 0.01 for a cell-voltage byte.
    public let factor: Double
    /// `decimals`: places the value is rounded to; −1 leaves it as computed.
    public let decimals: Int
    /// `units`: for example "V", "%", "A", "°C"; nil when none.
    public let units: String?
    /// `type`: number or flag. The manual's default is null, read as FIXED.
    public let type: ValueType

    /// Whether the param's numbers may have a fractional part: a factor or offset that is not a
    /// whole number, or decimals ≥ 1. Such a key is always sent as a double (`12.0`, never
    /// `12`), so its ThingsBoard type never flips between long and double.
    public var givesFractions: Bool {
        factor.rounded() != factor || offset.rounded() != offset || decimals >= 1
    }

    public init(
        bigEndian: Bool = true, signed: Bool = false, offset: Double = 0, factor: Double = 1, decimals: Int = -1, units: String? = nil,
        type: ValueType = .fixed
    ) {
        self.bigEndian = bigEndian
        self.signed = signed
        self.offset = offset
        self.factor = factor
        self.decimals = decimals
        self.units = units
        self.type = type
    }
}
