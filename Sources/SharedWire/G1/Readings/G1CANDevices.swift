/// CG1: status of the CAN current sensor and of each CAN cell group.
public struct G1CANDevices: Equatable, Sendable {
    /// A CAN device's state.
    public enum DeviceStatus: Int, Equatable, Sendable {
        case notConfigured = 0
        case ok = 1
        case error = 2
        case noResponse = 3
    }

    /// One CAN cell group: its cell count and status.
    public struct CellGroup: Equatable, Sendable {
        public let cellCount: Int
        public let status: DeviceStatus?
    }

    public let currentSensor: DeviceStatus?
    public let cellGroups: [CellGroup]

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("CG1")
        currentSensor = DeviceStatus(rawValue: try sentence.hexInt(1, max: G1Limits.maxByte))
        var groups: [CellGroup] = []
        var position = 2
        while position + 1 <= sentence.fields.count, !sentence.field(position).isEmpty {
            groups.append(
                CellGroup(
                    cellCount: try sentence.hexInt(position, max: G1Limits.maxByte),
                    status: DeviceStatus(rawValue: try sentence.hexInt(position + 1, max: G1Limits.maxByte))))
            position += 2
        }
        cellGroups = groups
    }
}
