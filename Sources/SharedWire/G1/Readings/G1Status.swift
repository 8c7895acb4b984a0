/// ST1: charging stage, last error and the status, protection and power-reduction flags.
public struct G1Status: Equatable, Sendable {
    /// Charging stages (field 1).
    public enum ChargingStage: Int, Equatable, Sendable {
        case disconnected = 0
        case preHeating = 1
        case preCharging = 2
        case mainCharging = 3
        case balancing = 4
        case finished = 5
        case error = 6
    }

    /// Field 5.
    public struct StatusFlags: OptionSet, Equatable, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let cellVoltagesValid = StatusFlags(rawValue: 1 << 0)
        public static let balancingRatesValid = StatusFlags(rawValue: 1 << 1)
        public static let liveCellCountValid = StatusFlags(rawValue: 1 << 2)
        public static let chargingFinished = StatusFlags(rawValue: 1 << 3)
        public static let cellTemperaturesValid = StatusFlags(rawValue: 1 << 4)
    }

    /// Field 6, two bytes.
    public struct ProtectionFlags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let underVoltage = ProtectionFlags(rawValue: 1 << 0)
        public static let overVoltage = ProtectionFlags(rawValue: 1 << 1)
        public static let dischargeOverCurrent = ProtectionFlags(rawValue: 1 << 2)
        public static let chargeOverCurrent = ProtectionFlags(rawValue: 1 << 3)
        public static let cellModuleOverheat = ProtectionFlags(rawValue: 1 << 4)
        public static let leakage = ProtectionFlags(rawValue: 1 << 5)
        public static let noCellCommunication = ProtectionFlags(rawValue: 1 << 6)
        public static let cellOverheat = ProtectionFlags(rawValue: 1 << 11)
    }

    /// Field 7.
    public struct PowerReductionFlags: OptionSet, Equatable, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let lowVoltage = PowerReductionFlags(rawValue: 1 << 0)
        public static let highCurrent = PowerReductionFlags(rawValue: 1 << 1)
        public static let highModuleTemperature = PowerReductionFlags(rawValue: 1 << 2)
        public static let highCellTemperature = PowerReductionFlags(rawValue: 1 << 5)
    }

    /// The stage, or `nil` for a value the reference does not list.
    public let stage: ChargingStage?
    public let stageNumber: Int
    public let lastChargingError: Int
    public let errorParameter: Int
    /// Time in the current stage, seconds.
    public let stageDuration: Int
    public let status: StatusFlags
    public let protection: ProtectionFlags
    public let powerReduction: PowerReductionFlags
    /// Pin status flags (field 8), raw.
    public let pins: UInt16

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("ST1")
        stageNumber = try sentence.hexInt(1, max: G1Limits.maxByte)
        stage = ChargingStage(rawValue: stageNumber)
        lastChargingError = try sentence.hexInt(2, max: G1Limits.maxByte)
        errorParameter = try sentence.hexInt(3, max: G1Limits.maxWord)
        stageDuration = try sentence.hexInt(4, max: G1Limits.maxDoubleWord)
        status = StatusFlags(rawValue: UInt16(truncatingIfNeeded: try sentence.hex(5)))
        protection = ProtectionFlags(rawValue: UInt16(truncatingIfNeeded: try sentence.hex(6)))
        powerReduction = PowerReductionFlags(rawValue: UInt16(truncatingIfNeeded: try sentence.hex(7)))
        pins = UInt16(truncatingIfNeeded: try sentence.optionalHex(8) ?? 0)
    }
}
