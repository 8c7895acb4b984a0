import SharedWire

/// Turns CAN frames into telemetry records as `params_config.json` says: each data frame the
/// configuration names becomes one record; per-cell groups are joined into whole lists.
struct CANTap {
    private var decoder: TelemetryDecoder
    private var lists = TelemetryListAssembler()
    /// Frames seen, and frames no packet of the configuration names.
    private(set) var frames = 0
    private(set) var unnamed = 0

    init(decoder: TelemetryDecoder) {
        self.decoder = decoder
    }

    mutating func replace(decoder: TelemetryDecoder) {
        self.decoder = decoder
        lists = TelemetryListAssembler()
    }

    /// The record in `frame` at `timestamp` (milliseconds since 1970), if it carries values.
    mutating func record(for frame: CANFrame, at timestamp: Int64) -> TelemetryRecord? {
        guard !frame.isRemote else { return nil }
        frames += 1
        let values = decoder.decodeCAN(id: frame.id, extended: frame.isExtended, data: frame.data).map { lists.merge($0) }
        guard let members = TelemetryRecordEncoder.members(values) else {
            unnamed += 1
            return nil
        }
        return TelemetryRecord(timestamp: timestamp, members: members)
    }
}
