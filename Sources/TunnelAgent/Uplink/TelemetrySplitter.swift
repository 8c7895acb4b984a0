import AgentConfig

/// Cuts queued records into telemetry messages within a shape (payload bytes, data points,
/// records): as many whole records as fit, oldest first; a record too big for one message on
/// its own is divided by its keys into several messages with the same `ts`, so nothing is
/// retried forever. A key too big for any message on its own cannot be sent and is left out
/// (reported). Pure: text in, text out.
enum TelemetrySplitter {
    /// The limits one message must keep.
    struct Shape: Sendable, Equatable {
        /// Largest payload, bytes.
        let maxPayloadBytes: Int
        /// Most keys across the records of one message (the sequence key included).
        let maxDataPoints: Int
        /// Most records in one message.
        let maxRecords: Int
    }

    /// One message to publish.
    struct Message: Sendable, Equatable {
        /// The payload, a JSON array of `{"ts":…,"values":{…}}`.
        let text: String
        /// Its data points: keys across its records.
        let dataPoints: Int
        /// The records it carries (one, for a part of a divided record).
        let records: ArraySlice<QueuedRecord>
        /// For a part of a divided record: how many parts the record has; nil for whole records.
        let parts: Int?
        /// Keys of the record left out because not even one of them fits a message.
        let droppedKeys: [String]
    }

    /// The messages for the oldest of `records`: one message of whole records, or every part
    /// of the first record when it does not fit alone. Empty for no records.
    static func next(_ records: ArraySlice<QueuedRecord>, sequenceKey: String?, shape: Shape) -> [Message] {
        var items: [String] = []
        var bytes = 2  // []
        var points = 0
        for queued in records.prefix(max(1, shape.maxRecords)) {
            let members = self.members(of: queued, sequenceKey: sequenceKey)
            let item = item(queued.record.timestamp, members)
            let added = item.utf8.count + (items.isEmpty ? 0 : 1)
            guard bytes + added <= shape.maxPayloadBytes, points + members.count <= shape.maxDataPoints else {
                if items.isEmpty { return divide(queued, members: members, carriesSequence: sequenceKey != nil, shape: shape) }
                break
            }
            items.append(item)
            bytes += added
            points += members.count
        }
        guard !items.isEmpty else { return [] }
        let used = records[records.startIndex..<(records.startIndex + items.count)]
        return [Message(text: "[" + items.joined(separator: ",") + "]", dataPoints: points, records: used, parts: nil, droppedKeys: [])]
    }

    /// The parts of one record too big for a message: its keys in order, as many per part as
    /// fit, the sequence key (when set) in every part so each is traced to its record.
    static func divide(_ queued: QueuedRecord, members: [Substring], carriesSequence: Bool, shape: Shape) -> [Message] {
        let own = carriesSequence ? Array(members.dropLast()) : members
        let carried: [Substring] = carriesSequence ? Array(members.suffix(1)) : []
        var parts: [[Substring]] = []
        var current: [Substring] = []
        var dropped: [String] = []
        func fits(_ list: [Substring]) -> Bool {
            let all = list + carried
            return 2 + item(queued.record.timestamp, all).utf8.count <= shape.maxPayloadBytes && all.count <= shape.maxDataPoints
        }
        for member in own {
            if fits(current + [member]) {
                current.append(member)
            } else if fits([member]) {
                parts.append(current)
                current = [member]
            } else {
                dropped.append(key(of: member) ?? String(member.prefix(40)))
            }
        }
        parts.append(current)
        parts.removeAll(where: \.isEmpty)
        // Every key dropped: the record still goes, as its timestamp and sequence number alone,
        // so it leaves the queue and its number is not missed.
        if parts.isEmpty { parts = [[]] }
        let slice = [queued][...]
        return parts.map { part in
            let all = part + carried
            return Message(
                text: "[" + item(queued.record.timestamp, all) + "]", dataPoints: all.count, records: slice, parts: parts.count,
                droppedKeys: dropped)
        }
    }

    /// The record's members, each `"key":value` as encoded, and the sequence number last when set.
    static func members(of queued: QueuedRecord, sequenceKey: String?) -> [Substring] {
        var members = split(queued.record.members)
        if let sequenceKey {
            let member = JSONValue.quoted(sequenceKey) + ":" + String(queued.sequence)
            members.append(Substring(member))
        }
        return members
    }

    static func item(_ timestamp: Int64, _ members: [Substring]) -> String {
        "{\"ts\":\(timestamp),\"values\":{\(members.joined(separator: ","))}}"
    }

    /// The top-level members of an object's text without its braces, each as written: commas
    /// inside strings, arrays and objects do not cut.
    static func split(_ text: String) -> [Substring] {
        var members: [Substring] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if inString {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                }
            } else {
                switch character {
                case "\"": inString = true
                case "[", "{": depth += 1
                case "]", "}": depth -= 1
                case "," where depth == 0:
                    members.append(text[start..<index])
                    start = text.index(after: index)
                default: break
                }
            }
            index = text.index(after: index)
        }
        if start < text.endIndex { members.append(text[start...]) }
        return members
    }

    /// The unquoted key of a member `"key":value` (escapes kept), nil when it is not one.
    static func key(of member: Substring) -> String? {
        guard member.first == "\"" else { return nil }
        var escaped = false
        var index = member.index(after: member.startIndex)
        while index < member.endIndex {
            let character = member[index]
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return String(member[member.index(after: member.startIndex)..<index])
            }
            index = member.index(after: index)
        }
        return nil
    }
}
