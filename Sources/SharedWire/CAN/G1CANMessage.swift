/// The messages of the EMUS G1 CAN protocol, named by their offset from the base: a message's
/// extended ID is `base << 16 | offset` (base 0x19B5 by default).
public enum G1CANMessage: Hashable, Sendable {
    /// 0x0000: inputs, outputs, live cells, charging stage and its duration, last charging error.
    case overallParameters
    /// 0x0001: min, max and average cell voltage and the total voltage.
    case batteryVoltage
    /// 0x0002: min, max and average cell-module temperature.
    case moduleTemperature
    /// 0x0003: min, max and average balancing rate.
    case balancingRate
    /// 0x0007: protection, power-reduction and battery status flags.
    case diagnosticCodes
    /// 0x0008: min, max and average cell temperature (external sensors).
    case cellTemperature
    /// 0x01gg, 0x02gg, 0x03gg, 0x08gg: one byte per cell for up to 8 cells of group `group`.
    case cellGroup(G1CANCellGroup, group: UInt8)
    /// 0x0400: configuration parameter request and reply.
    case configurationParameter
    /// 0x0401: contactor control (a command).
    case contactorControl
    /// 0x0500: current, estimated charge, state of charge and health.
    case stateOfCharge
    /// 0x0600: consumption, energy left, distance left and travelled.
    case energy

    /// The low 16 bits of the message's ID.
    public var offset: UInt16 {
        switch self {
        case .overallParameters: 0x0000
        case .batteryVoltage: 0x0001
        case .moduleTemperature: 0x0002
        case .balancingRate: 0x0003
        case .diagnosticCodes: 0x0007
        case .cellTemperature: 0x0008
        case .cellGroup(let kind, let group): kind.rawValue | UInt16(group)
        case .configurationParameter: 0x0400
        case .contactorControl: 0x0401
        case .stateOfCharge: 0x0500
        case .energy: 0x0600
        }
    }

    /// The message at `offset`, or nil for an offset the protocol does not define.
    public init?(offset: UInt16) {
        let group = UInt8(offset & 0xFF)
        switch offset {
        case 0x0000: self = .overallParameters
        case 0x0001: self = .batteryVoltage
        case 0x0002: self = .moduleTemperature
        case 0x0003: self = .balancingRate
        case 0x0007: self = .diagnosticCodes
        case 0x0008: self = .cellTemperature
        case 0x0400: self = .configurationParameter
        case 0x0401: self = .contactorControl
        case 0x0500: self = .stateOfCharge
        case 0x0600: self = .energy
        default:
            guard let kind = G1CANCellGroup(rawValue: offset & 0xFF00) else { return nil }
            self = .cellGroup(kind, group: group)
        }
    }
}

/// The per-cell messages: one byte per cell, 8 cells per frame.
public enum G1CANCellGroup: UInt16, CaseIterable, Sendable {
    /// Cell voltages, (b + 200) × 0.01 V.
    case voltages = 0x0100
    /// Cell-module temperatures, b − 100 °C.
    case moduleTemperatures = 0x0200
    /// Balancing rates, b × 100 / 255 %.
    case balancingRates = 0x0300
    /// Cell temperatures (external sensors), b − 100 °C.
    case cellTemperatures = 0x0800
}
