/// Protection flags, ST1 field 6 and CAN 0x19B50007 D0 (LSB) / D2 (MSB). A set flag means the
/// BMS has cut the current in the direction at fault.
public struct ProtectionFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Bit 0: a cell below the under-voltage limit.
    public static let underVoltage = ProtectionFlags(rawValue: 1 << 0)
    /// Bit 1: a cell above the over-voltage limit.
    public static let overVoltage = ProtectionFlags(rawValue: 1 << 1)
    /// Bit 2: the load asks for more than the discharge current limit.
    public static let dischargeOverCurrent = ProtectionFlags(rawValue: 1 << 2)
    /// Bit 3: the charger pushes more than the charge current limit.
    public static let chargeOverCurrent = ProtectionFlags(rawValue: 1 << 3)
    /// Bit 4: a cell module above its temperature limit.
    public static let cellModuleOverheat = ProtectionFlags(rawValue: 1 << 4)
    /// Bit 5: leakage to chassis (not simulated).
    public static let leakage = ProtectionFlags(rawValue: 1 << 5)
    /// Bit 6: no communication with the cells (not simulated).
    public static let noCellCommunication = ProtectionFlags(rawValue: 1 << 6)
    /// Bit 11: a cell above its temperature limit.
    public static let cellOverheat = ProtectionFlags(rawValue: 1 << 11)

    /// Flags that stop discharging (the contactor opens).
    public static let blockingDischarge: ProtectionFlags = [.underVoltage, .dischargeOverCurrent, .cellModuleOverheat, .cellOverheat]
    /// Flags that stop charging.
    public static let blockingCharge: ProtectionFlags = [.overVoltage, .chargeOverCurrent, .cellModuleOverheat, .cellOverheat]
}
