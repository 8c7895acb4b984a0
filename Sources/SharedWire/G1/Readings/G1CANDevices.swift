/// CG1: status of the CAN current sensor and of each CAN cell group.
public struct G1CANDevices: Equatable, Sendable {
    /// A CAN device's state.
    public enum DeviceStatus: Int, Equatable, Sendable {
        case notConfigured = 0, ok = 1, error = 2, noResponse = 3
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
        currentSensor = DeviceStatus(rawValue: Int(try sentence.hex(1)))
        var groups: [CellGroup] = []
        var position = 2
        while position + 1 <= sentence.fields.count, !sentence.field(position).isEmpty {
            groups.append(CellGroup(
                cellCount: Int(try sentence.hex(position)),
                status: DeviceStatus(rawValue: Int(try sentence.hex(position + 1)))))
            position += 2
        }
        cellGroups = groups
    }
}
