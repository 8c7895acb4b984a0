import SharedWire

/// Protection flags, ST1 field 6 and CAN 0x19B50007 D0 (LSB) / D2 (MSB): the same bits the
/// agent decodes. A set flag means the BMS has cut the current in the direction at fault.
public typealias ProtectionFlags = G1Status.ProtectionFlags

extension G1Status.ProtectionFlags {
    /// Flags that stop discharging (the contactor opens).
    public static let blockingDischarge: Self = [.underVoltage, .dischargeOverCurrent, .cellModuleOverheat, .cellOverheat]
    /// Flags that stop charging.
    public static let blockingCharge: Self = [.overVoltage, .chargeOverCurrent, .cellModuleOverheat, .cellOverheat]
}
