/// Extremes and totals since the statistics were last cleared, as SS1 reports them: each with
/// the G1 time (seconds since 2000-01-01) it was reached or last changed.
public struct PackStatistics: Hashable, Sendable {
    /// The statistics and their SS1 IDs.
    public enum Statistic: UInt8, CaseIterable, Sendable {
        /// Highest cell voltage, 0.01 V.
        case maxCellVoltage = 0x01
        /// Lowest cell voltage, 0.01 V.
        case minCellVoltage = 0x02
        /// Highest discharge current, 0.1 A.
        case maxDischargeCurrent = 0x03
        /// Highest charge current, 0.1 A.
        case maxChargeCurrent = 0x04
        /// Highest cell temperature, °C + 100.
        case maxCellTemperature = 0x05
        /// Lowest cell temperature, °C + 100.
        case minCellTemperature = 0x06
        /// Charge taken out, 0.1 Ah.
        case dischargedCharge = 0x07
        /// Charge put in, 0.1 Ah.
        case chargedCharge = 0x08
        /// Charges that reached the finished stage.
        case completedCharges = 0x09
    }

    /// A statistic's value and when it was reached.
    public struct Record: Hashable, Sendable {
        public let value: Int
        public let time: UInt32
    }

    /// The values by statistic.
    public private(set) var records: [Statistic: Record] = [:]
    private var chargedBaseline = 0.0
    private var dischargedBaseline = 0.0

    /// Statistics that start from `pack` as it is at `time`.
    init(pack: SimulatedPack, time: UInt32) {
        clear(pack: pack, time: time)
    }

    /// SS1,c: everything starts again from the pack as it is now.
    mutating func clear(pack: SimulatedPack, time: UInt32) {
        records = [:]
        chargedBaseline = pack.chargedAh
        dischargedBaseline = pack.dischargedAh
        records[.completedCharges] = Record(value: 0, time: time)
        record(pack, time: time)
    }

    /// Takes in the pack's state at `time`.
    mutating func record(_ pack: SimulatedPack, time: UInt32) {
        let voltages = pack.cellVoltages.map { Int(($0 * 100).rounded()) }
        let temperatures = pack.cellTemperatures.map { Int($0.rounded()) + 100 }
        let current = Int((pack.current * 10).rounded())
        raise(.maxCellVoltage, voltages.max() ?? 0, time)
        lower(.minCellVoltage, voltages.min() ?? 0, time)
        raise(.maxDischargeCurrent, max(0, -current), time)
        raise(.maxChargeCurrent, max(0, current), time)
        raise(.maxCellTemperature, temperatures.max() ?? 0, time)
        lower(.minCellTemperature, temperatures.min() ?? 0, time)
        raise(.dischargedCharge, Int(((pack.dischargedAh - dischargedBaseline) * 10).rounded()), time)
        raise(.chargedCharge, Int(((pack.chargedAh - chargedBaseline) * 10).rounded()), time)
    }

    /// A charge reached the finished stage at `time`.
    mutating func countCompletedCharge(time: UInt32) {
        records[.completedCharges] = Record(value: (records[.completedCharges]?.value ?? 0) + 1, time: time)
    }

    /// One line per statistic: `SS1,<id>,<value>,<time>` (2, 8 and 8 hex digits).
    func fieldLines() -> [[String]] {
        Statistic.allCases.map { statistic in
            let record = records[statistic] ?? Record(value: 0, time: 0)
            return [
                G1Field.hex(Int(statistic.rawValue), width: 2), G1Field.hex(record.value, width: 8),
                G1Field.hex(Int(record.time), width: 8),
            ]
        }
    }

    private mutating func raise(_ statistic: Statistic, _ value: Int, _ time: UInt32) {
        if let old = records[statistic], old.value >= value { return }
        records[statistic] = Record(value: value, time: time)
    }

    private mutating func lower(_ statistic: Statistic, _ value: Int, _ time: UInt32) {
        if let old = records[statistic], old.value <= value { return }
        records[statistic] = Record(value: value, time: time)
    }
}
