/// One timestamped set of telemetry values, as the queue keeps it and the uplink sends it.
public struct TelemetryRecord: Sendable, Equatable {
    /// When the values were decoded, milliseconds since 1970 (ThingsBoard's `ts`).
    public let timestamp: Int64
    /// The values as the members of a JSON object, without the braces: `"soc":81.5,"voltage":55.49`.
    public let members: String

    public init(timestamp: Int64, members: String) {
        self.timestamp = timestamp
        self.members = members
    }
}

/// A record in the queue, with the sequence number the queue gave it.
public struct QueuedRecord: Sendable, Equatable {
    /// Increases by one for every record ever queued on this gateway; never reused.
    public let sequence: Int64
    /// The record.
    public let record: TelemetryRecord
}
