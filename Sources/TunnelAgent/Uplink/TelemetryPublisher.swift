import AgentConfig

/// Which queued records are on their way to the broker. Records are read from the queue
/// oldest first, a batch per message; a message's records leave the queue only when its
/// PUBACK arrives. After a reconnect everything unacknowledged is sent again from the oldest
/// (a duplicate carries the same `ts`, so the server stores it once). Pure: no I/O.
struct TelemetryPublisher: Sendable {
    /// Most records in one message. ThingsBoard takes an array of records as one message.
    static let maxRecordsPerMessage = 100
    /// Largest payload built; ThingsBoard's default limit is 64 KiB.
    static let maxPayloadBytes = 48 * 1024

    /// The records of one message in flight.
    struct InFlight: Sendable, Equatable {
        let first: Int64
        let last: Int64
        let count: Int
    }

    /// Messages awaiting PUBACK, by message ID.
    private(set) var inFlight: [Int32: InFlight] = [:]
    /// The last sequence number handed to a message since the connection came up.
    private(set) var cursor: Int64 = 0
    /// Most messages in flight at once.
    let window: Int
    /// When set, each record also carries its sequence number under this key.
    let sequenceKey: String?

    init(window: Int, sequenceKey: String?) {
        self.window = window
        self.sequenceKey = sequenceKey
    }

    var hasRoom: Bool { inFlight.count < window }

    /// The connection came up (again): what was in flight is sent again from the oldest.
    mutating func restart() {
        inFlight.removeAll()
        cursor = 0
    }

    /// The payload for `records` (oldest first, after `cursor`): as many as fit in one message.
    func payload(for records: [QueuedRecord]) -> (text: String, used: ArraySlice<QueuedRecord>) {
        var text = "["
        var used = 0
        for queued in records.prefix(Self.maxRecordsPerMessage) {
            let item = item(for: queued)
            if used > 0 && text.utf8.count + item.utf8.count + 2 > Self.maxPayloadBytes { break }
            if used > 0 { text += "," }
            text += item
            used += 1
        }
        return (text + "]", records.prefix(used))
    }

    /// One record as ThingsBoard takes it: `{"ts":…,"values":{…}}`. Text, not `Encodable`: the
    /// members were encoded once when the record was decoded and are kept so in the queue.
    func item(for queued: QueuedRecord) -> String {
        var members = queued.record.members
        if let sequenceKey { members += "," + JSONValue.quoted(sequenceKey) + ":" + String(queued.sequence) }
        return "{\"ts\":\(queued.record.timestamp),\"values\":{\(members)}}"
    }

    /// `records` went out as message `messageID`.
    mutating func sent(_ records: ArraySlice<QueuedRecord>, messageID: Int32) {
        guard let first = records.first, let last = records.last else { return }
        inFlight[messageID] = InFlight(first: first.sequence, last: last.sequence, count: records.count)
        cursor = last.sequence
    }

    /// The broker acknowledged `messageID`: the records to remove from the queue, if it was ours.
    mutating func acknowledged(_ messageID: Int32) -> InFlight? {
        inFlight.removeValue(forKey: messageID)
    }
}
