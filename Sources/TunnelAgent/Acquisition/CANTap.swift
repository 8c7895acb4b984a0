import AgentConfig
import SharedWire

/// Turns CAN frames into telemetry records as `params_config.json` says: each data frame the
/// configuration names becomes one record; per-cell groups are joined into whole lists.
struct CANTap {
    private var builder: TelemetryRecordBuilder
    /// Frames seen, and frames no packet of the configuration names.
    private(set) var frames = 0
    private(set) var unnamed = 0

    init(decoder: TelemetryDecoder) {
        builder = TelemetryRecordBuilder(decoder: decoder)
    }

    mutating func replace(decoder: TelemetryDecoder) {
        builder.replace(decoder: decoder)
    }

    /// The record in `frame` at `timestamp` (milliseconds since 1970), if it carries values.
    mutating func record(for frame: CANFrame, at timestamp: Int64) -> TelemetryRecord? {
        guard !frame.isRemote else { return nil }
        frames += 1
        guard let record = builder.record(at: timestamp, { $0.decodeCAN(id: frame.id, extended: frame.isExtended, data: frame.data) })
        else {
            unnamed += 1
            return nil
        }
        return record
    }
}
