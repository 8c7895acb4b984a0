import Foundation
import XCTest

@testable import TunnelAgent

/// The queue on a real SQLite file.
final class TelemetryQueueTests: XCTestCase {
    var path = ""

    override func setUp() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("queue-\(UUID().uuidString).sqlite").path
    }

    override func tearDown() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    func records(_ range: ClosedRange<Int>, size: Int = 10) -> [TelemetryRecord] {
        range.map { TelemetryRecord(timestamp: Int64($0), members: "\"k\":" + String(repeating: "1", count: size - 4)) }
    }

    func testRecordsSurviveReopeningAndLeaveOnlyWhenRemoved() async throws {
        var queue = try await TelemetryQueue.open(path: path)
        try await queue.append(records(1...2500))
        let first = try await queue.oldest(after: 0, limit: 3)
        XCTAssertEqual(first.map(\.sequence), [1, 2, 3])
        try await queue.remove(from: 1, through: 100)
        try await queue.close()

        queue = try await TelemetryQueue.open(path: path)
        let count = await queue.count
        XCTAssertEqual(count, 2400)
        let next = try await queue.oldest(after: 0, limit: 1)
        XCTAssertEqual(next.first?.sequence, 101)
        XCTAssertEqual(next.first?.record.timestamp, 101)
        try await queue.append(records(1...1))
        let last = try await queue.oldest(after: 2500, limit: 10)
        XCTAssertEqual(last.map(\.sequence), [2501], "sequence numbers are never reused")
        try await queue.close()
    }

    func testTheSizeBoundDropsTheOldestAndCountsThem() async throws {
        let queue = try await TelemetryQueue.open(path: path, limits: .init(maxBytes: 1000, maxAge: 3600))
        try await queue.append(records(1...250))  // 2,500 bytes
        let (count, bytes, dropped) = (await queue.count, await queue.bytes, await queue.dropped)
        XCTAssertEqual(count, 100)
        XCTAssertEqual(bytes, 1000)
        XCTAssertEqual(dropped, 150)
        let oldest = try await queue.oldest(after: 0, limit: 1)
        XCTAssertEqual(oldest.first?.sequence, 151)
        try await queue.close()
        let reopened = try await TelemetryQueue.open(path: path)
        let keptDropped = await reopened.dropped
        XCTAssertEqual(keptDropped, 150, "the counter is kept across restarts")
        try await reopened.close()
    }

    func testTheAgeBoundDropsOldRecords() async throws {
        let queue = try await TelemetryQueue.open(path: path, limits: .init(maxBytes: 1 << 20, maxAge: 60))
        try await queue.append([
            TelemetryRecord(timestamp: 1_000, members: #""a":1"#), TelemetryRecord(timestamp: 90_000, members: #""a":2"#),
        ])
        try await queue.expire(now: 100_000)
        let left = try await queue.oldest(after: 0, limit: 10)
        XCTAssertEqual(left.map(\.record.timestamp), [90_000])
        let dropped = await queue.dropped
        XCTAssertEqual(dropped, 1)
        try await queue.close()
    }
}
