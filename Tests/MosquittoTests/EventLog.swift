import Foundation
import Mosquitto
import TestSupport
import TunnelHarness
import XCTest

/// Records a client's events from one long-lived task, so a test can wait for the next event
/// that matches, with a deadline, without cancelling the stream.
// Unchecked: `events` and `cursor` are read and written under `lock`; `task` is set once,
// before the log is handed out.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [MosquittoEvent] = []
    private var cursor = 0
    private var task: Task<Void, Never>?

    static func recording(_ client: MosquittoClient) -> EventLog {
        let log = EventLog()
        log.task = Task { for await event in client.events { log.append(event) } }
        return log
    }

    deinit { task?.cancel() }

    /// Everything recorded so far.
    var all: [MosquittoEvent] { lock.withLock { events } }

    /// The first event after the previous match for which `matches` is true; throws when none
    /// arrives within `timeout`.
    @discardableResult
    func next(
        _ what: String, timeout: Duration = .seconds(10), file: StaticString = #filePath, line: UInt = #line,
        where matches: @escaping @Sendable (MosquittoEvent) -> Bool
    ) async throws -> MosquittoEvent {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = take(matches) { return found }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw EventTimeout(awaited: what, timeout: timeout, seen: all)
    }

    /// Waits until everything recorded so far satisfies `condition`.
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(10), _ condition: @escaping @Sendable ([MosquittoEvent]) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(all) {
            guard ContinuousClock.now < deadline else { throw EventTimeout(awaited: what, timeout: timeout, seen: all) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Asserts that no matching event arrives within `period` (from now, past the cursor).
    func expectNone(_ what: String, for period: Duration, where matches: @escaping @Sendable (MosquittoEvent) -> Bool) async throws {
        try await Task.sleep(for: period)
        if let found = take(matches) { XCTFail("unexpected \(what): \(found); all events: \(all)") }
    }

    private func take(_ matches: (MosquittoEvent) -> Bool) -> MosquittoEvent? {
        lock.withLock {
            guard let index = events[cursor...].firstIndex(where: matches) else { return nil }
            cursor = index + 1
            return events[index]
        }
    }

    private func append(_ event: MosquittoEvent) { lock.withLock { events.append(event) } }
}

struct EventTimeout: Error, CustomStringConvertible {
    let awaited: String
    let timeout: Duration
    let seen: [MosquittoEvent]
    var description: String {
        "no \(awaited) within \(timeout); \(seen.count) events seen, the last: \(seen.suffix(12))"
    }
}

extension MosquittoEvent {
    var isAccepted: Bool { if case .connected(0, _) = self { true } else { false } }
    var isDrop: Bool { if case .disconnected(let code, _) = self { code != 0 } else { false } }
}

/// Starts a real broker; when mosquitto is not installed, fails under CI and skips elsewhere.
func startBroker(_ configuration: MosquittoBroker.Configuration = .init()) async throws -> MosquittoBroker {
    do {
        return try await MosquittoBroker.start(configuration)
    } catch let error as MosquittoBrokerError where error.isNotInstalled {
        throw missingPeer("no real broker to test against: \(error.message)")
    }
}
