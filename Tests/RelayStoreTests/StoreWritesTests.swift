import Logging
import NIOConcurrencyHelpers
import TunnelRelay
import XCTest

/// The relay's unawaited store writes: in order per key, side by side across keys, drained.
final class StoreWritesTests: XCTestCase {
    private let writes = StoreWrites(logger: Logger(label: "test"))

    func testWritesWithTheSameKeyRunInTheOrderTheyWereStarted() async {
        let log = NIOLockedValueBox<[String]>([])
        // The first write is the slow one: without the chain the second would land first, as
        // an agent's "offline" used to land before its "online".
        writes.enqueue(key: "device:p1", "online") {
            try await Task.sleep(for: .milliseconds(200))
            log.withLockedValue { $0.append("online") }
        }
        writes.enqueue(key: "device:p1", "offline") { log.withLockedValue { $0.append("offline") } }
        await writes.drain(within: .seconds(10))
        XCTAssertEqual(log.withLockedValue { $0 }, ["online", "offline"])
        XCTAssertEqual(writes.pendingCount, 0)
    }

    func testAWriteTheStoreCouldNotTakeIsTriedAgainBeforeTheNextOfItsKey() async {
        let attempts = NIOLockedValueBox(0)
        let log = NIOLockedValueBox<[String]>([])
        writes.enqueue(key: "session:s1", "end") {
            let attempt = attempts.withLockedValue { count -> Int in
                count += 1
                return count
            }
            if attempt < 3 { throw StoreError.unavailable("PostgreSQL is away") }
            log.withLockedValue { $0.append("end") }
        }
        writes.enqueue(key: "session:s1", "audit") { log.withLockedValue { $0.append("audit") } }
        await writes.drain(within: .seconds(10))
        XCTAssertEqual(attempts.withLockedValue { $0 }, 3, "tried again after 0.5 s and 1 s")
        XCTAssertEqual(log.withLockedValue { $0 }, ["end", "audit"])
    }

    func testAWriteIsGivenUpAfterItsRetryWindow() async {
        let brief = StoreWrites(logger: Logger(label: "test"), retryWindow: .milliseconds(800))
        let attempts = NIOLockedValueBox(0)
        brief.enqueue(key: "session:s1", "end") {
            attempts.withLockedValue { $0 += 1 }
            throw StoreError.unavailable("PostgreSQL is away")
        }
        let left = await brief.drain(within: .seconds(10))
        XCTAssertEqual(left, 0)
        XCTAssertEqual(attempts.withLockedValue { $0 }, 2, "once, then once after 0.5 s; 1 s more would pass the window")
    }

    func testAnotherKeyDoesNotWaitForASlowOne() async throws {
        let log = NIOLockedValueBox<[String]>([])
        writes.enqueue(key: "device:slow", "slow") {
            try await Task.sleep(for: .milliseconds(500))
            log.withLockedValue { $0.append("slow") }
        }
        writes.enqueue(key: "device:quick", "quick") { log.withLockedValue { $0.append("quick") } }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(log.withLockedValue { $0 }, ["quick"], "the quick key finished while the slow one ran")
        await writes.drain(within: .seconds(10))
        XCTAssertEqual(log.withLockedValue { $0 }, ["quick", "slow"])
    }

    func testAFailedWriteDoesNotStopTheNextAndDrainWaitsForEveryWrite() async {
        struct Refused: Error {}
        let done = NIOLockedValueBox(0)
        writes.enqueue(key: "session:s1", "end") { throw Refused() }
        for index in 0..<100 {
            writes.enqueue(key: "session:s\(index % 7)", "audit") {
                try await Task.sleep(for: .milliseconds(Int64(index % 5)))
                done.withLockedValue { $0 += 1 }
            }
        }
        await writes.drain(within: .seconds(10))
        XCTAssertEqual(done.withLockedValue { $0 }, 100)
        XCTAssertEqual(writes.pendingCount, 0)
    }

    func testDrainGivesUpAfterItsTimeAndSaysHowManyAreLeft() async {
        let idle = await writes.drain(within: .seconds(1))
        XCTAssertEqual(idle, 0, "nothing to wait for")
        writes.enqueue(key: "device:stuck", "stuck") { try await Task.sleep(for: .seconds(2)) }
        let started = ContinuousClock.now
        let left = await writes.drain(within: .milliseconds(200))
        XCTAssertEqual(left, 1)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1), "a store that does not answer does not hold shutdown")
        let finally = await writes.drain(within: .seconds(10))
        XCTAssertEqual(finally, 0)
    }
}
