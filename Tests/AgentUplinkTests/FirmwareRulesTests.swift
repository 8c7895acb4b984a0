import AgentConfig
import Foundation
import XCTest

@testable import TunnelAgent

/// The pure parts of firmware over the air: the portal's assignment, checksums in ThingsBoard's
/// texts, the chunked download, the launcher's decision and the image's ELF header.
final class FirmwareRulesTests: XCTestCase {
    private func assignment(_ overrides: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var values: [String: JSONValue] = [
            "fw_title": .string("tunnel-agent"), "fw_version": .string("1.2.0"), "fw_size": .number(100_000),
            "fw_checksum": .string("ab12"), "fw_checksum_algorithm": .string("SHA256"),
        ]
        for (key, value) in overrides { values[key] = value }
        return values
    }

    private var target: FirmwareTarget {
        guard case .assigned(let target) = FirmwareTarget.read(assignment()) else { fatalError("the assignment is valid") }
        return target
    }

    func testAnAssignmentIsReadAndEveryBadValueIsNamed() {
        XCTAssertEqual(FirmwareTarget.read([:]), .unassigned)
        XCTAssertEqual(target.size, 100_000)
        XCTAssertEqual(target.algorithm, .sha256)
        let cases: [(String, JSONValue, String)] = [
            ("fw_size", .number(0), "fw_size"), ("fw_size", .number(1.5), "fw_size"),
            ("fw_size", .number(Double(FirmwareTarget.maxImageBytes + 1)), "fw_size"),
            ("fw_title", .string(""), "fw_title"), ("fw_version", .string("1\n2"), "fw_version"),
            ("fw_checksum", .string("../../etc/passwd"), "fw_checksum"), ("fw_checksum_algorithm", .string("SHA1"), "SHA1"),
        ]
        for (key, value, named) in cases {
            guard case .invalid(let reason) = FirmwareTarget.read(assignment([key: value])) else {
                XCTFail("\(key) = \(value) is refused")
                continue
            }
            XCTAssertTrue(reason.contains(named), reason)
        }
        var missing = assignment()
        missing.removeValue(forKey: "fw_checksum_algorithm")
        guard case .assigned(let withDefault) = FirmwareTarget.read(missing) else { return XCTFail("the algorithm has a default") }
        XCTAssertEqual(withDefault.algorithm, .sha256)
        XCTAssertTrue(target.fileName.allSatisfy(\.isHexDigit))
    }

    func testChecksumsAreComparedInThingsBoardsTexts() throws {
        let file = NSTemporaryDirectory() + "/firmware-checksum-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data("123456789".utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertTrue(try FirmwareChecksum.matches(file: file, algorithm: .crc32, expected: "cbf43926"))
        XCTAssertTrue(
            try FirmwareChecksum.matches(
                file: file, algorithm: .sha256, expected: "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"))
        XCTAssertTrue(try FirmwareChecksum.matches(file: file, algorithm: .md5, expected: "25F9E794323B453885F5181F1B624D0B"))
        XCTAssertFalse(try FirmwareChecksum.matches(file: file, algorithm: .md5, expected: "25f9e794323b453885f5181f1b624d0c"))
        // Java's Long.toHexString: no leading zeros.
        XCTAssertEqual(FirmwareChecksum.accepted([0x01, 0x02, 0x03, 0x04], algorithm: .crc32).first, "1020304")
    }

    func testMurmur3MatchesItsPublishedValues() {
        XCTAssertEqual(Murmur3.hash32([]), [0, 0, 0, 0])
        XCTAssertEqual(Murmur3.hash32(Array("hello".utf8)), [0x47, 0xFA, 0x8B, 0x24])  // 0x248bfa47
        XCTAssertEqual(
            FirmwareChecksum.hex(Murmur3.hash128(Array("The quick brown fox jumps over the lazy dog".utf8))),
            "6c1b07bc7bbc4be347939ac4a93c437a")
        XCTAssertEqual(FirmwareChecksum.hex(Murmur3.hash128([])), String(repeating: "0", count: 32))
    }

    func testTheDownloadAsksChunkByChunkAndIgnoresStaleAnswers() {
        let now = ContinuousClock.now
        let target = FirmwareTarget(title: "tunnel-agent", version: "2", size: 10, checksum: "00", algorithm: .sha256)
        var download = FirmwareDownload(target: target, chunkSize: 4, received: 0, requestID: 0)
        XCTAssertEqual(download.resume(requestID: 7, now: now), .request(requestID: 7, chunk: 0))
        XCTAssertEqual(download.receive(requestID: 6, chunk: 0, bytes: [1, 2, 3, 4], now: now), .ignore)
        XCTAssertEqual(download.receive(requestID: 7, chunk: 1, bytes: [1, 2, 3, 4], now: now), .ignore)
        XCTAssertEqual(
            download.receive(requestID: 7, chunk: 0, bytes: [1, 2, 3, 4], now: now),
            .append([1, 2, 3, 4], then: .request(requestID: 7, chunk: 1)))
        // Cut off: the next connection asks again from what is on disk, under a new ID.
        download.pause()
        XCTAssertEqual(download.receive(requestID: 7, chunk: 1, bytes: [5, 6, 7, 8], now: now), .ignore)
        XCTAssertEqual(download.resume(requestID: 8, now: now), .request(requestID: 8, chunk: 1))
        XCTAssertEqual(
            download.receive(requestID: 8, chunk: 1, bytes: [5, 6, 7, 8], now: now),
            .append([5, 6, 7, 8], then: .request(requestID: 8, chunk: 2)))
        XCTAssertEqual(download.receive(requestID: 8, chunk: 2, bytes: [9, 10], now: now), .append([9, 10], then: .complete))
        XCTAssertTrue(download.isComplete)
    }

    func testTruncatedOversizedAndSilentDownloadsFail() {
        let now = ContinuousClock.now
        let target = FirmwareTarget(title: "tunnel-agent", version: "2", size: 10, checksum: "00", algorithm: .sha256)
        var short = FirmwareDownload(target: target, chunkSize: 4, received: 0, requestID: 0)
        _ = short.resume(requestID: 1, now: now)
        guard case .fail(let truncated) = short.receive(requestID: 1, chunk: 0, bytes: [], now: now) else {
            return XCTFail("empty chunk early")
        }
        XCTAssertTrue(truncated.contains("truncated"), truncated)
        var partial = FirmwareDownload(target: target, chunkSize: 4, received: 0, requestID: 0)
        _ = partial.resume(requestID: 1, now: now)
        guard case .fail = partial.receive(requestID: 1, chunk: 0, bytes: [1, 2], now: now) else {
            return XCTFail("a short chunk before the end")
        }
        var long = FirmwareDownload(target: target, chunkSize: 4, received: 8, requestID: 0)
        _ = long.resume(requestID: 1, now: now)
        guard case .fail(let tooLong) = long.receive(requestID: 1, chunk: 2, bytes: [1, 2, 3], now: now) else {
            return XCTFail("past fw_size")
        }
        XCTAssertTrue(tooLong.contains("fw_size"), tooLong)
        var silent = FirmwareDownload(target: target, chunkSize: 4, received: 0, requestID: 0)
        _ = silent.resume(requestID: 1, now: now)
        XCTAssertEqual(silent.tick(now: now + .seconds(1)), .ignore)
        for attempt in 1...FirmwareDownload.maxRetries {
            XCTAssertEqual(silent.tick(now: now + FirmwareDownload.chunkTimeout * (attempt + 1)), .request(requestID: 1, chunk: 0))
        }
        guard case .fail = silent.tick(now: now + FirmwareDownload.chunkTimeout * (FirmwareDownload.maxRetries + 2)) else {
            return XCTFail("gives up after the retries")
        }
    }

    func testTheLauncherCountsStartsOnTrialAndRollsBackAfterTheDeadlineOrTooManyStarts() {
        let slot = String(repeating: "a", count: 32)
        var trial = FirmwareTrial(slot: slot, previous: nil, target: target, deadline: 1_000, launches: 0)
        XCTAssertEqual(FirmwareBoot.decide(current: nil, trial: nil, now: 0), .packaged)
        XCTAssertEqual(FirmwareBoot.decide(current: slot, trial: nil, now: 0), .slot(name: slot, trial: nil))
        XCTAssertEqual(FirmwareBoot.decide(current: nil, trial: trial, now: 0), .dropTrial)
        guard case .slot(_, let counted?) = FirmwareBoot.decide(current: slot, trial: trial, now: 0) else { return XCTFail("on trial") }
        XCTAssertEqual(counted.launches, 1)
        guard case .rollBack(_, let late) = FirmwareBoot.decide(current: slot, trial: trial, now: 1_001) else { return XCTFail("late") }
        XCTAssertTrue(late.contains("did not report UPDATED"), late)
        trial.launches = FirmwareBoot.maxLaunches
        guard case .rollBack(_, let crashed) = FirmwareBoot.decide(current: slot, trial: trial, now: 0) else { return XCTFail("stops") }
        XCTAssertTrue(crashed.contains("stopped"), crashed)
    }

    func testAnImageMustBeAnExecutableForThisMachine() throws {
        let own = try ELFHeader(try Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe")).prefix(ELFHeader.length))
        XCTAssertNil(own.mismatch(with: own))
        var other = Array(try Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe")).prefix(ELFHeader.length))
        other[18] = other[18] == 0xB7 ? 0x3E : 0xB7  // AArch64 <-> x86-64
        other[19] = 0
        XCTAssertNotNil(try ELFHeader(other).mismatch(with: own))
        XCTAssertThrowsError(try ELFHeader(Array("#!/bin/sh\necho hello world\n".utf8)))
    }

    func testResponseTopicsAreParsedStrictly() {
        XCTAssertEqual(FirmwareTopic.response("v2/fw/response/12/chunk/3").map { [$0.requestID, $0.chunk] }, [12, 3])
        for topic in [
            "v2/fw/response/12/chunk", "v2/fw/response/x/chunk/1", "v2/fw/response/1/part/1", "v2/fw/response/1/chunk/-1",
            "v2/fw/response/1/chunk/99999999999999999999",
        ] {
            XCTAssertNil(FirmwareTopic.response(topic), topic)
        }
    }
}
