import Foundation
import NIOConcurrencyHelpers

/// The latest telemetry of each device, as its agent reports it on the control connection,
/// and the admin API's live streams of it. In memory only: the portal keeps the history.
public final class LiveTelemetry: Sendable {
    /// Largest record kept; a frame is bounded anyway, this bounds the JSON work.
    static let maxRecordBytes = 16 * 1024
    /// Devices whose latest values are kept (the oldest-updated is forgotten past this).
    static let maxDevices = 100_000
    /// Records a slow stream may lag behind before the oldest are skipped.
    static let streamBuffer = 256
    /// Streams open at once per device.
    static let maxStreamsPerDevice = 32
    /// Keys kept per device. A device that reports more (a hostile or broken agent inventing
    /// keys) keeps its most recently reported ones: those with the oldest timestamps go first.
    public static let maxKeysPerDevice = 512
    /// Bytes of keys and JSON values kept per device, with the same eviction.
    public static let maxBytesPerDevice = 64 * 1024
    /// Longest key kept; a longer one is dropped from its record.
    public static let maxKeyLength = 128

    /// One device's latest values: each key with the time it was read.
    public struct Snapshot: Sendable, Equatable {
        public var updatedAt: Int64 = 0
        public var values: [String: LatestValue] = [:]
    }

    public struct LatestValue: Sendable, Equatable {
        /// The value's JSON text.
        public let json: String
        /// When it was read, milliseconds since 1970.
        public let ts: Int64
    }

    private struct State {
        var snapshots: [String: Snapshot] = [:]
        var streams: [String: [UUID: AsyncStream<String>.Continuation]] = [:]
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// A record from `deviceID`'s agent: `{"ts": <ms>, "values": {...}}`. Anything else is dropped.
    /// Returns the device's firmware version when the record reports one other than before
    /// (`DeviceFirmware`), for the store.
    @discardableResult
    public func received(deviceID: String, record bytes: [UInt8]) -> String? {
        guard bytes.count <= Self.maxRecordBytes,
            let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let ts = (object["ts"] as? NSNumber)?.int64Value, let values = object["values"] as? [String: Any], !values.isEmpty
        else { return nil }
        let firmware = (values[DeviceFirmware.key] as? String).flatMap { DeviceFirmware.isValid($0) ? $0 : nil }
        var latest: [String: LatestValue] = [:]
        for (key, value) in values where key.utf8.count <= Self.maxKeyLength {
            guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) else { continue }
            latest[key] = LatestValue(json: String(decoding: data, as: UTF8.self), ts: ts)
        }
        let line = String(decoding: bytes, as: UTF8.self)
        let (streams, firmwareChanged) = state.withLockedValue { state -> ([AsyncStream<String>.Continuation], Bool) in
            if state.snapshots[deviceID] == nil, state.snapshots.count >= Self.maxDevices,
                let oldest = state.snapshots.min(by: { $0.value.updatedAt < $1.value.updatedAt })?.key
            {
                state.snapshots[oldest] = nil
            }
            var snapshot = state.snapshots[deviceID] ?? Snapshot()
            let firmwareBefore = snapshot.values[DeviceFirmware.key]?.json
            snapshot.updatedAt = max(snapshot.updatedAt, ts)
            snapshot.values.merge(latest) { old, new in new.ts >= old.ts ? new : old }
            snapshot.values = Self.bounded(snapshot.values)
            state.snapshots[deviceID] = snapshot
            return (Array(state.streams[deviceID]?.values ?? [:].values), snapshot.values[DeviceFirmware.key]?.json != firmwareBefore)
        }
        for stream in streams { stream.yield(line) }
        return firmwareChanged ? firmware : nil
    }

    /// `values` within `maxKeysPerDevice` and `maxBytesPerDevice`: the keys with the oldest
    /// timestamps (then the greatest names, so the cut is the same every time) are dropped.
    static func bounded(_ values: [String: LatestValue]) -> [String: LatestValue] {
        var bytes = values.reduce(0) { $0 + $1.key.utf8.count + $1.value.json.utf8.count }
        guard values.count > maxKeysPerDevice || bytes > maxBytesPerDevice else { return values }
        let newestFirst = values.sorted { $0.value.ts != $1.value.ts ? $0.value.ts > $1.value.ts : $0.key < $1.key }
        var kept = newestFirst
        while kept.count > maxKeysPerDevice || bytes > maxBytesPerDevice, let last = kept.popLast() {
            bytes -= last.key.utf8.count + last.value.json.utf8.count
        }
        return Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
    }

    /// The device's latest values; nil when it has reported none since the relay started.
    public func snapshot(deviceID: String) -> Snapshot? {
        state.withLockedValue { $0.snapshots[deviceID] }
    }

    /// Every record the device reports from now on, until the stream is dropped; nil when the
    /// device has too many streams open already.
    public func stream(deviceID: String) -> AsyncStream<String>? {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(Self.streamBuffer))
        let admitted = state.withLockedValue { state -> Bool in
            guard (state.streams[deviceID]?.count ?? 0) < Self.maxStreamsPerDevice else { return false }
            state.streams[deviceID, default: [:]][id] = continuation
            return true
        }
        guard admitted else { return nil }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLockedValue { state in
                state.streams[deviceID]?[id] = nil
                if state.streams[deviceID]?.isEmpty == true { state.streams[deviceID] = nil }
            }
        }
        return stream
    }

    /// Streams open now, for tests and metrics.
    public var streamCount: Int { state.withLockedValue { $0.streams.values.reduce(0) { $0 + $1.count } } }
}

extension LiveTelemetry.Snapshot {
    /// The snapshot as records of the agent's form (`{"ts": …, "values": {…}}`, one per
    /// timestamp, split so that none passes `limit` bytes), which `LiveTelemetry.received`
    /// puts back together: how a node hands a device's latest values to another node.
    func records(limit: Int = 60_000) -> [String] {
        var records: [String] = []
        for (ts, group) in Dictionary(grouping: values, by: { $0.value.ts }).sorted(by: { $0.key < $1.key }) {
            var parts: [String] = []
            var size = 0
            for (key, value) in group.sorted(by: { $0.key < $1.key }) {
                guard let name = try? JSONSerialization.data(withJSONObject: key, options: [.fragmentsAllowed]) else { continue }
                let part = "\(String(decoding: name, as: UTF8.self)):\(value.json)"
                if size + part.utf8.count > limit, !parts.isEmpty {
                    records.append("{\"ts\":\(ts),\"values\":{\(parts.joined(separator: ","))}}")
                    (parts, size) = ([], 0)
                }
                parts.append(part)
                size += part.utf8.count + 1
            }
            if !parts.isEmpty { records.append("{\"ts\":\(ts),\"values\":{\(parts.joined(separator: ","))}}") }
        }
        return records
    }
}
