import Logging
import NIOConcurrencyHelpers

/// The store writes that follow events on connections (presence, session ends, audit entries,
/// certificate promotion), which the event loop cannot await: each is started at once, but
/// after every earlier write with the same key (a device, a session), so a disconnect's
/// "offline" never lands before its connect's "online"; writes with different keys run side
/// by side. `drain(within:)` waits for all of them, so shutdown loses none.
public final class StoreWrites: Sendable {
    private struct Write {
        let id: UInt64
        let task: Task<Void, Never>
    }

    private struct State {
        var nextID: UInt64 = 0
        /// The newest write of each key: the next one with that key waits for it.
        var newest: [String: Write] = [:]
        /// Every write not finished yet.
        var running: [UInt64: Task<Void, Never>] = [:]
        /// `drain` calls waiting for `running` to empty.
        var drains: [UInt64: CheckedContinuation<Int, Never>] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let logger: Logger
    /// How long a write the store could not take (`StoreError.unavailable`: PostgreSQL away)
    /// is tried again, at intervals from 0.5 s doubling to 10 s, before it is given up.
    private let retryWindow: Duration

    public init(logger: Logger, retryWindow: Duration = .seconds(120)) {
        self.logger = logger
        self.retryWindow = retryWindow
    }

    /// Writes not finished yet.
    public var pendingCount: Int { state.withLockedValue { $0.running.count } }

    /// Starts `write` after every earlier write with `key`. A store that is unavailable is
    /// tried again within `retryWindow` (the later writes of the key wait meanwhile); any other
    /// failure, or the last, is logged as "`what` failed" with the error and does not stop
    /// later writes.
    public func enqueue(key: String, _ what: String, _ write: @escaping @Sendable () async throws -> Void) {
        let logger = self.logger
        let retryWindow = self.retryWindow
        // Under the lock, so that the order of calls is the order of the chain, and the
        // write cannot finish (and remove itself) before it is recorded.
        state.withLockedValue { state in
            let id = state.nextID
            state.nextID += 1
            let previous = state.newest[key]?.task
            let task = Task {
                await previous?.value
                let deadline = ContinuousClock.now + retryWindow
                var delay = Duration.milliseconds(500)
                while true {
                    do {
                        try await write()
                    } catch StoreError.unavailable(let reason) where ContinuousClock.now + delay < deadline && !Task.isCancelled {
                        logger.notice("\(what) waits for the store", metadata: ["key": "\(key)", "error": "\(reason)"])
                        try? await Task.sleep(for: delay)
                        delay = min(delay * 2, .seconds(10))
                        continue
                    } catch {
                        logger.warning("\(what) failed", metadata: ["key": "\(key)", "error": "\(error)"])
                    }
                    break
                }
                self.finished(key: key, id: id)
            }
            state.newest[key] = Write(id: id, task: task)
            state.running[id] = task
        }
    }

    /// Waits until no write is running, or `timeout` has passed (a store that does not answer
    /// must not hold shutdown forever). Returns how many writes were still running: 0 when
    /// every one finished.
    @discardableResult
    public func drain(within timeout: Duration) async -> Int {
        let id = state.withLockedValue { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        var timer: Task<Void, Never>?
        let left = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            let waiting = state.withLockedValue { state in
                guard !state.running.isEmpty else { return false }
                state.drains[id] = continuation
                return true
            }
            guard waiting else { return continuation.resume(returning: 0) }
            timer = Task {
                try? await Task.sleep(for: timeout)
                let expired = self.state.withLockedValue { state in
                    state.drains.removeValue(forKey: id).map { ($0, state.running.count) }
                }
                expired?.0.resume(returning: expired?.1 ?? 0)
            }
        }
        timer?.cancel()
        return left
    }

    private func finished(key: String, id: UInt64) {
        let drains = state.withLockedValue { state -> [CheckedContinuation<Int, Never>] in
            state.running[id] = nil
            if state.newest[key]?.id == id { state.newest[key] = nil }
            guard state.running.isEmpty else { return [] }
            defer { state.drains = [:] }
            return Array(state.drains.values)
        }
        for drain in drains { drain.resume(returning: 0) }
    }
}
