import NIOCore
import SharedWire
import XCTest

/// What a monitor session's client may send to the BMS.
final class G1MonitorFilterTests: XCTestCase {
    private func run(_ chunks: [String]) -> (passed: String, dropped: [G1MonitorFilter.Dropped]) {
        var filter = G1MonitorFilter()
        var passed = ""
        var dropped: [G1MonitorFilter.Dropped] = []
        for chunk in chunks {
            let result = filter.filter(ByteBuffer(string: chunk))
            passed += String(buffer: result.allowed)
            dropped += result.dropped
        }
        return (passed, dropped)
    }

    func testReadsPassUnchangedAndWritesAreDropped() {
        let cf2Write = G1Sentence(name: "CF2", fields: ["1A", "250"]).line
        let pw2 = G1Sentence(name: "PW2", fields: ["1234"]).line
        let fd1 = G1Sentence(name: "FD1", fields: ["?"]).line
        let cf2Read = G1Sentence(name: "CF2", fields: ["1A", "?"]).line
        let result = run(["\r\nCV1,?,78\r\n", fd1, pw2, cf2Write, "garbage\r\n", cf2Read, "BV1,?,4F\n"])
        XCTAssertEqual(result.passed, "\r\nCV1,?,78\r\n" + cf2Read + "BV1,?,4F\n")
        XCTAssertEqual(
            result.dropped.map(\.line),
            ["FD1,?,", "PW2,1234,", "CF2,1A,250,", "garbage"].enumerated().map { index, prefix in
                index < 3 ? String([fd1, pw2, cf2Write][index].dropLast()) : prefix
            })
        XCTAssertTrue(result.dropped[0].reason.contains("read-only"), result.dropped[0].reason)
    }

    func testLinesSplitAcrossFramesAreJudgedWhole() {
        let result = run(["CV", "1,?", ",78\r", "\nSS1,", "c,", "00\r\n"])
        XCTAssertEqual(result.passed, "CV1,?,78\r\n")
        XCTAssertEqual(result.dropped.count, 1, "SS1,c clears statistics")
    }

    func testBadCRCAndOverlongLinesAreDropped() {
        let result = run(["CV1,?,79\r\n", String(repeating: "A", count: 300), "MORE\r\n", "BC1,?,E1\r\n"])
        XCTAssertEqual(result.passed, "BC1,?,E1\r\n")
        XCTAssertEqual(result.dropped.count, 2)
    }
}
