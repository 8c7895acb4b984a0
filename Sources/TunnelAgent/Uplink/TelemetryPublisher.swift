import AgentConfig

/// Which queued records are on their way to the broker. Records are read from the queue
/// oldest first, a batch per message (`TelemetrySplitter`); a message's records leave the
/// queue only when its PUBACK arrives, and a record divided into parts only when every part's
/// has. After a reconnect everything unacknowledged is sent again from the oldest (a duplicate
/// carries the same `ts`, so the server stores it once). Pure: no I/O.
struct TelemetryPublisher: Sendable {
    /// Most records in one message. ThingsBoard takes an array of records as one message.
    static let maxRecordsPerMessage = 100
    /// Largest payload built, whatever the server allows: ThingsBoard's default limit is
    /// 64 KiB, and a smaller message is sent again sooner after a lost connection.
    static let maxPayloadBytes = 48 * 1024
    /// Bytes of an MQTT PUBLISH besides its payload, kept free below the server's
    /// `maxPayloadSize` (a broker such as mosquitto counts the whole packet): fixed header (up
    /// to 5), topic (2 + 23), packet identifier (2), rounded up.
    static let packetOverhead = 64

    /// The records of one message in flight.
    struct InFlight: Sendable, Equatable {
        let first: Int64
        let last: Int64
        let count: Int
    }

    /// What a PUBACK was for.
    enum Acknowledgement: Sendable, Equatable {
        /// Not a telemetry message of this connection (attributes, RPC answers, requests).
        case other
        /// A part of a divided record whose other parts are still unacknowledged.
        case part
        /// These records may leave the queue.
        case done(InFlight)
    }

    /// A message awaiting its PUBACK.
    struct Pending: Sendable {
        let records: InFlight
        /// A part of a divided record.
        let isPart: Bool
        /// What it cost in the rate limits.
        let cost: TelemetryPacer.Cost
    }

    /// Messages awaiting PUBACK, by message ID.
    private(set) var inFlight: [Int32: Pending] = [:]
    /// Divided records: parts not yet acknowledged, by sequence number.
    private var unacknowledgedParts: [Int64: Int] = [:]
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

    /// Room for one more message when the server allows `limit` in flight (some kept for others).
    func hasRoom(serverLimit limit: Int) -> Bool { inFlight.count < min(window, max(1, limit - 2)) }

    /// The connection came up (again): what was in flight is sent again from the oldest. Returns
    /// the cost of what was in flight: libmosquitto sends its own copies of those again at once.
    @discardableResult
    mutating func restart() -> [TelemetryPacer.Cost] {
        defer { inFlight.removeAll() }
        unacknowledgedParts.removeAll()
        cursor = 0
        return inFlight.values.map(\.cost)
    }

    /// The shape of a message under `limits` and the pacer's bounds on one message.
    static func shape(limits: SessionLimits, pacer: TelemetryPacer) -> TelemetrySplitter.Shape {
        TelemetrySplitter.Shape(
            maxPayloadBytes: min(maxPayloadBytes, limits.maxPayloadSize - packetOverhead),
            maxDataPoints: pacer.largest(.dataPoints) ?? Int.max,
            maxRecords: min(maxRecordsPerMessage, pacer.largest(.records) ?? Int.max))
    }

    /// The messages for `records` (oldest first, after `cursor`) in `shape`.
    func messages(for records: [QueuedRecord], shape: TelemetrySplitter.Shape) -> [TelemetrySplitter.Message] {
        TelemetrySplitter.next(records[...], sequenceKey: sequenceKey, shape: shape)
    }

    /// The payload for `records` in ThingsBoard's default shape: as many as fit in one message.
    func payload(for records: [QueuedRecord]) -> (text: String, used: ArraySlice<QueuedRecord>) {
        let shape = TelemetrySplitter.Shape(
            maxPayloadBytes: Self.maxPayloadBytes, maxDataPoints: .max, maxRecords: Self.maxRecordsPerMessage)
        guard let message = messages(for: records, shape: shape).first else { return ("[]", []) }
        return (message.text, message.records)
    }

    /// `message` went out as message `messageID`; `isLastPart` for the last part of a divided record.
    mutating func sent(_ message: TelemetrySplitter.Message, messageID: Int32, isLastPart: Bool = true) {
        guard let first = message.records.first, let last = message.records.last else { return }
        let records = InFlight(first: first.sequence, last: last.sequence, count: message.records.count)
        let cost = TelemetryPacer.Cost.telemetry(
            dataPoints: message.dataPoints, records: message.parts == nil ? message.records.count : (isLastPart ? 1 : 0))
        if let parts = message.parts {
            if unacknowledgedParts[first.sequence] == nil { unacknowledgedParts[first.sequence] = parts }
            inFlight[messageID] = Pending(records: records, isPart: true, cost: cost)
            if isLastPart { cursor = last.sequence }
        } else {
            inFlight[messageID] = Pending(records: records, isPart: false, cost: cost)
            cursor = last.sequence
        }
    }

    /// `records` went out as message `messageID` (whole records).
    mutating func sent(_ records: ArraySlice<QueuedRecord>, messageID: Int32) {
        sent(.init(text: "", dataPoints: 0, records: records, parts: nil, droppedKeys: []), messageID: messageID)
    }

    /// The broker acknowledged `messageID`: the records to remove from the queue, if it was ours.
    mutating func acknowledged(_ messageID: Int32) -> InFlight? {
        if case .done(let records) = acknowledge(messageID) { return records }
        return nil
    }

    /// The broker acknowledged `messageID`: what it was for.
    mutating func acknowledge(_ messageID: Int32) -> Acknowledgement {
        guard let pending = inFlight.removeValue(forKey: messageID) else { return .other }
        let records = pending.records
        guard pending.isPart else { return .done(records) }
        let left = (unacknowledgedParts[records.first] ?? 1) - 1
        guard left <= 0 else {
            unacknowledgedParts[records.first] = left
            return .part
        }
        unacknowledgedParts.removeValue(forKey: records.first)
        return .done(records)
    }
}
