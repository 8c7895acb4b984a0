import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SharedWire

/// Who watches a live session in the browser, and what they see: each G1 sentence that
/// crosses the relay, either way, with its time and what it says. The session's forwarding
/// path feeds it; while nobody watches that costs one uncontended lock per frame, and lines
/// are put together and decoded only for a session someone watches.
public final class SessionTap: Sendable {
    /// Browsers watching one session at once.
    public static let maxWatchers = 16
    /// Sentences a slow browser may lag behind before the oldest are skipped.
    static let bufferPerWatcher = 1_024

    /// One sentence as a watcher sees it.
    public struct Sentence: Sendable, Equatable, Encodable {
        /// When it crossed the relay, milliseconds since 1970.
        public let at: Int64
        /// `to_device` (from the Control Panel) or `from_device` (from the BMS).
        public let direction: CaptureRecord.Direction
        public let line: String
        /// The sentence's name (`CV1`), empty when the line is not G1.
        public let name: String
        /// What it says, decoded where there is a typed reading.
        public let meaning: String
    }

    private struct Watcher {
        let user: String
        let continuation: AsyncStream<Sentence>.Continuation
    }

    private struct State {
        var toDevice = G1LineAssembler()
        var fromDevice = G1LineAssembler()
        var watchers: [UUID: Watcher] = [:]
        var ended = false
        var bytesToDevice: UInt64 = 0
        var bytesFromDevice: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    /// The session's client, told who is watching whenever that changes.
    private let client: (any Channel)?

    public init(client: (any Channel)? = nil) {
        self.client = client
    }

    /// Bytes that crossed the relay in `direction`.
    func observe(_ direction: CaptureRecord.Direction, _ bytes: ByteBuffer) {
        let (lines, watchers) = state.withLockedValue { state -> ([String], [Watcher]) in
            if direction == .toDevice {
                state.bytesToDevice &+= UInt64(bytes.readableBytes)
            } else {
                state.bytesFromDevice &+= UInt64(bytes.readableBytes)
            }
            guard !state.watchers.isEmpty else { return ([], []) }
            let lines =
                direction == .toDevice
                ? state.toDevice.append(bytes.readableBytesView) : state.fromDevice.append(bytes.readableBytesView)
            return (lines, Array(state.watchers.values))
        }
        guard !lines.isEmpty else { return }
        let at = Int64(Date().timeIntervalSince1970 * 1000)
        for line in lines {
            let name = (try? G1Sentence(line: line))?.name ?? ""
            let sentence = Sentence(
                at: at, direction: direction, line: line, name: name, meaning: CaptureTranscript.annotation(of: line))
            for watcher in watchers { watcher.continuation.yield(sentence) }
        }
    }

    /// A new watcher's sentences from now on, until the session ends or the watcher goes; nil
    /// when the session has as many watchers as it takes, or has ended.
    public func watch(by user: String) -> AsyncStream<Sentence>? {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: Sentence.self, bufferingPolicy: .bufferingNewest(Self.bufferPerWatcher))
        let (admitted, changed) = state.withLockedValue { state -> (Bool, [String]?) in
            guard !state.ended, state.watchers.count < Self.maxWatchers else { return (false, nil) }
            let before = Self.names(state)
            state.watchers[id] = Watcher(user: user, continuation: continuation)
            let after = Self.names(state)
            return (true, after == before ? nil : after)
        }
        guard admitted else { return nil }
        tell(changed)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            let changed = self.state.withLockedValue { state -> [String]? in
                let before = Self.names(state)
                state.watchers[id] = nil
                if state.watchers.isEmpty {
                    // A later watcher starts with whole lines, not the rest of this one's.
                    state.toDevice = G1LineAssembler()
                    state.fromDevice = G1LineAssembler()
                }
                let after = Self.names(state)
                return state.ended || after == before ? nil : after
            }
            self.tell(changed)
        }
        return stream
    }

    /// The users watching now, by name, each once.
    public var watchers: [String] {
        state.withLockedValue { Self.names($0) }
    }

    private static func names(_ state: State) -> [String] {
        Set(state.watchers.values.map(\.user)).sorted()
    }

    /// Tells the client who watches now, when that changed.
    private func tell(_ names: [String]?) {
        guard let names, let client else { return }
        client.writeAndFlush(TunnelMessage.watchers(names), promise: nil)
    }

    /// Bytes forwarded so far each way, for the console's live sessions (the store has them
    /// once the session ends).
    public var bytes: (toDevice: UInt64, fromDevice: UInt64) {
        state.withLockedValue { ($0.bytesToDevice, $0.bytesFromDevice) }
    }

    /// Whether the session ended.
    public var isFinished: Bool { state.withLockedValue { $0.ended } }

    /// The session ended: every watcher's stream ends.
    func finish() {
        let watchers = state.withLockedValue { state -> [Watcher] in
            state.ended = true
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.continuation.finish() }
    }
}

extension SessionTap.Sentence {
    /// As a `WATCHED_SENTENCE` frame carries it to another node.
    var wire: TunnelMessage.WatchedSentence {
        .init(at: UInt64(max(at, 0)), toDevice: direction == .toDevice, line: line, name: name, meaning: meaning)
    }

    /// As another node sent it.
    init(_ wire: TunnelMessage.WatchedSentence) {
        self.init(
            at: Int64(clamping: wire.at), direction: wire.toDevice ? .toDevice : .fromDevice, line: wire.line, name: wire.name,
            meaning: wire.meaning)
    }
}
