import Foundation
import Logging
import NIOCore
import SharedWire
import TunnelTransport
import XCTest

@testable import TunnelRelay

/// A capture read back for the console's replay: what the relay's own capture writer wrote,
/// sentence by sentence and decoded; a damaged file's bad lines skipped and counted; a long
/// capture cut at the bound and said to be.
final class CaptureReplayTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("capture-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testTheWritersRecordsReadBackAsDecodedSentences() async throws {
        let path = folder.appendingPathComponent("s1.jsonl").path
        let capture = try SessionCapture.start(path: path, logger: Logger(label: "test"))
        capture.record(.toDevice, ByteBuffer(string: "VR1,?"))
        capture.record(.toDevice, ByteBuffer(string: ",D7\r\n"))
        capture.record(.fromDevice, ByteBuffer(string: "CV1,00001909,FF83,,,,,,,,,D3\r\n"))
        await capture.close()

        let replay = try CaptureReplay.read(path: path)
        XCTAssertEqual(replay.sentences.map(\.line), ["VR1,?,D7", "CV1,00001909,FF83,,,,,,,,,D3"])
        XCTAssertEqual(replay.sentences.map(\.direction), [.toDevice, .fromDevice])
        XCTAssertEqual(replay.sentences.map(\.name), ["VR1", "CV1"])
        XCTAssertEqual(replay.sentences[1].meaning, "[CV1 pack 64.09 V, -12.5 A]")
        XCTAssertLessThanOrEqual(replay.sentences[0].at, replay.sentences[1].at)
        XCTAssertEqual(replay.bytesToDevice, 10)
        XCTAssertEqual(replay.bytesFromDevice, 30)
        XCTAssertEqual(replay.unreadable, 0)
        XCTAssertFalse(replay.truncated)
    }

    func testLinesThatAreNotRecordsAreSkippedAndCounted() throws {
        let path = folder.appendingPathComponent("s2.jsonl").path
        let good = #"{"dir":"from_device","hex":"","lines":["BB1,?,A1"],"t":1700000000.25}"#
        let text = [good, "not json", #"{"dir":"sideways","hex":"","lines":[],"t":1}"#, good, #"{"dir":"to_dev"#].joined(separator: "\n")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let replay = try CaptureReplay.read(path: path)
        XCTAssertEqual(replay.sentences.count, 2)
        XCTAssertEqual(replay.sentences[0].at, 1_700_000_000_250)
        XCTAssertEqual(replay.unreadable, 3, "a bad line, an unknown direction and an unfinished last line")
    }

    func testALongCaptureIsCutAtTheBoundAndSaysSo() throws {
        let path = folder.appendingPathComponent("s3.jsonl").path
        let lines = (0..<100).map { "CV1,\(String(format: "%08X", $0)),0000,,,,,,,,,00" }
        let record = try JSONEncoder().encode(CaptureRecord(time: 1_700_000_000, direction: .fromDevice, bytes: [], lines: lines))
        let count = CaptureReplay.maxSentences / lines.count + 1
        var data = Data()
        for _ in 0..<count { data.append(record + Data([0x0A])) }
        try data.write(to: URL(fileURLWithPath: path))
        let replay = try CaptureReplay.read(path: path)
        XCTAssertEqual(replay.sentences.count, CaptureReplay.maxSentences)
        XCTAssertTrue(replay.truncated)
    }

    func testBytesInChunksOfAnySizeReadAsTheFileDoes() throws {
        let path = folder.appendingPathComponent("s4.jsonl").path
        let good = #"{"dir":"to_device","hex":"","lines":["VR1,?,D7","CV1,?,78"],"t":1700000000.5}"#
        let data = Data(([good, "junk", good].joined(separator: "\n") + "\n" + #"{"dir""#).utf8)
        try data.write(to: URL(fileURLWithPath: path))
        let whole = try CaptureReplay.read(path: path)
        for size in [1, 7, 64, data.count] {
            var reader = CaptureReplay.Reader()
            var offset = 0
            while offset < data.count {
                reader.feed(data.subdata(in: offset..<min(offset + size, data.count)))
                offset += size
            }
            let chunked = reader.finish()
            XCTAssertEqual(chunked.sentences, whole.sentences, "chunks of \(size)")
            XCTAssertEqual(chunked.unreadable, 2, "chunks of \(size)")
        }
        XCTAssertEqual(whole.sentences.map(\.line), ["VR1,?,D7", "CV1,?,78", "VR1,?,D7", "CV1,?,78"])
        XCTAssertEqual(CaptureReplay.path(of: "../etc/passwd", in: "/d"), nil)
        XCTAssertEqual(CaptureReplay.path(of: "a1b2", in: "/d"), "/d/a1b2.jsonl")
    }

    func testAMissingFileIsAnErrorNamingIt() {
        XCTAssertThrowsError(try CaptureReplay.read(path: folder.appendingPathComponent("none.jsonl").path)) { error in
            XCTAssertTrue("\(error)".contains("none.jsonl"), "\(error)")
        }
    }
}
