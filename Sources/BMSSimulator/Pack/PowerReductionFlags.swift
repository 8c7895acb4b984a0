/// Power-reduction flags, ST1 field 7 and CAN 0x19B50007 D1: warnings below the protection
/// limits that ask the load to take less. The simulated load takes half of what it asks for
/// while any is set.
public struct PowerReductionFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Bit 0: a cell below the low-voltage threshold.
    public static let lowVoltage = PowerReductionFlags(rawValue: 1 << 0)
    /// Bit 1: the load asks for more than the high-current threshold.
    public static let highCurrent = PowerReductionFlags(rawValue: 1 << 1)
    /// Bit 2: a cell module above the high-temperature threshold.
    public static let highModuleTemperature = PowerReductionFlags(rawValue: 1 << 2)
    /// Bit 5: a cell above the high-temperature threshold.
    public static let highCellTemperature = PowerReductionFlags(rawValue: 1 << 5)
}
