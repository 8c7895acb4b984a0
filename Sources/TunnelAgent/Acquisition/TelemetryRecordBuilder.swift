import AgentConfig

/// Decoded values to telemetry records, as `params_config.json` says: the decoder of the
/// configuration in effect and the per-cell lists joined so far. A new configuration starts
/// both afresh. Shared by the serial (G1) and CAN taps.
struct TelemetryRecordBuilder {
    private var decoder: TelemetryDecoder
    private var lists = TelemetryListAssembler()
    /// The latest text value of each key (a firmware version, a serial number): client
    /// attributes, not telemetry (`TelemetryRecordEncoder`).
    private(set) var texts: [String: String] = [:]

    init(decoder: TelemetryDecoder) {
        self.decoder = decoder
    }

    /// A new configuration: decoding continues with it from the next sentence or frame.
    mutating func replace(decoder: TelemetryDecoder) {
        self.decoder = decoder
        lists = TelemetryListAssembler()
    }

    /// The record of what `decode` finds, at `timestamp` (milliseconds since 1970); nil when
    /// the configuration names nothing in it.
    mutating func record(at timestamp: Int64, _ decode: (TelemetryDecoder) -> [TelemetryValue]) -> TelemetryRecord? {
        let values = decode(decoder).map { lists.merge($0) }
        texts.merge(TelemetryRecordEncoder.texts(values)) { _, new in new }
        return TelemetryRecordEncoder.members(values).map { TelemetryRecord(timestamp: timestamp, members: $0) }
    }
}
