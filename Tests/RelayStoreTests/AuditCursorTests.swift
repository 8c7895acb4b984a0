import Foundation
import XCTest

@testable import TunnelRelay

/// Following the audit log by entry ID: each entry handed out once, in ID order, whatever
/// the entries' times; an ID that becomes visible late (a PostgreSQL transaction that
/// committed after a later one) is still handed out, and one that never comes is passed over.
final class AuditCursorTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func entries(_ ids: [Int64], at: Date? = nil) -> [AuditEntry] {
        ids.map { AuditEntry(id: $0, at: at ?? now, event: .sessionEndRequested, actor: "cli", sessionID: "s\($0)") }
    }

    func testHandsOutEachEntryOnceInIDOrder() {
        var cursor = AuditCursor(after: 10)
        XCTAssertEqual(cursor.afterID, 10)
        XCTAssertEqual(cursor.take(entries([12, 11, 13]), now: now).map(\.id), [11, 12, 13])
        XCTAssertEqual(cursor.afterID, 13)
        XCTAssertEqual(cursor.take(entries([13, 14]), now: now).map(\.id), [14], "an entry read twice is handed out once")
        XCTAssertEqual(cursor.take(entries([5, 9, 10]), now: now), [], "entries at or below the start are not ours")
    }

    func testTimesDoNotMatter() {
        var cursor = AuditCursor(after: 0)
        let stepped = entries([1], at: now.addingTimeInterval(-3_600)) + entries([2], at: now) + entries([3], at: now)
        XCTAssertEqual(cursor.take(stepped, now: now).map(\.id), [1, 2, 3], "a clock an hour behind, two in one millisecond")
    }

    func testALateIDIsWaitedForThenHandedOut() {
        var cursor = AuditCursor(after: 0, gapPatience: 10)
        XCTAssertEqual(cursor.take(entries([1, 3]), now: now).map(\.id), [1, 3])
        XCTAssertEqual(cursor.afterID, 1, "2 is missing: the next read starts below it")
        XCTAssertEqual(cursor.take(entries([3]), now: now + 5), [], "3 is not handed out again")
        XCTAssertEqual(cursor.take(entries([2, 3, 4]), now: now + 6).map(\.id), [2, 4], "2 committed late")
        XCTAssertEqual(cursor.afterID, 4)
    }

    func testAnIDThatNeverComesIsPassedOver() {
        var cursor = AuditCursor(after: 0, gapPatience: 10)
        _ = cursor.take(entries([1, 3]), now: now)
        _ = cursor.take(entries([3]), now: now + 9)
        XCTAssertEqual(cursor.afterID, 1, "still waiting within the patience")
        _ = cursor.take(entries([3]), now: now + 10)
        XCTAssertEqual(cursor.afterID, 3, "2 rolled back: passed over")
        XCTAssertEqual(cursor.take(entries([4, 6]), now: now + 11).map(\.id), [4, 6])
        XCTAssertEqual(cursor.afterID, 4, "a new gap starts a new wait")
        _ = cursor.take(entries([6]), now: now + 20)
        XCTAssertEqual(cursor.afterID, 4)
        _ = cursor.take(entries([6]), now: now + 21)
        XCTAssertEqual(cursor.afterID, 6)
    }
}
