import NIOCore
import NIOTestUtils
import SharedWire
import XCTest

/// The EMUS G1 sentence codec against the reference's computed examples and hostile input.
final class G1CodecTests: XCTestCase {
    func testRequestCRCsMatchTheReference() {
        let expected = [
            "BV1": "4F", "BV2": "C7", "CV1": "78", "BC1": "E1", "BT1": "CC", "BT3": "CB", "ST1": "A0",
            "TD1": "59", "VR1": "D7",
        ]
        for (name, crc) in expected {
            XCTAssertEqual(G1Sentence.request(name).line, "\(name),?,\(crc)\r\n")
        }
    }

    func testParsesLineAndAcceptsLowercaseCRC() throws {
        XCTAssertEqual(try G1Sentence(line: "CV1,?,78"), .request("CV1"))
        XCTAssertEqual(try G1Sentence(line: "BV1,?,4f"), .request("BV1"))
    }

    func testRejectsBadCRCAndMalformedLines() {
        XCTAssertThrowsError(try G1Sentence(line: "CV1,?,79")) { error in
            guard case .badChecksum = error as? G1DecodingError else { return XCTFail("\(error)") }
        }
        for bad in ["CV1", "C1,?,00", "CV1,?,ZZ", "CV1,?,789", ",?,00"] {
            XCTAssertThrowsError(try G1Sentence(line: bad), bad)
        }
    }

    func testDecoderHandlesAnySplitAndSkipsEmptyLines() throws {
        let stream = "\r\nCV1,?,78\r\n\r\nBV1,?,4F\r\n"
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [(stream, [.sentence(.request("CV1")), .sentence(.request("BV1"))])],
            decoderFactory: { G1LineDecoder() })
    }

    func testDecoderReportsBadLineAndKeepsTheNext() throws {
        var decoder = G1LineDecoder()
        var buffer = ByteBuffer(string: "CV1,?,00\r\nnoise\r\nBC1,?,E1\r\n")
        XCTAssertEqual(try decoder.decode(buffer: &buffer).map(isInvalid), true)
        XCTAssertEqual(try decoder.decode(buffer: &buffer).map(isInvalid), true)
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .sentence(.request("BC1")))
        XCTAssertNil(try decoder.decode(buffer: &buffer))
    }

    func testOverlongLineIsReportedOnceAndDecodingResumes() throws {
        var decoder = G1LineDecoder()
        var buffer = ByteBuffer(string: String(repeating: "A", count: G1LineDecoder.maxLineLength + 10))
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .invalid(.lineTooLong(length: G1LineDecoder.maxLineLength)))
        buffer.writeString(String(repeating: "B", count: 500))
        XCTAssertNil(try decoder.decode(buffer: &buffer), "the rest of the long line is discarded silently")
        buffer.writeString("\r\nCV1,?,78\r\n")
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .sentence(.request("CV1")))
        XCTAssertNil(try decoder.decode(buffer: &buffer))
        XCTAssertEqual(buffer.readableBytes, 0, "the trailing LF is consumed as an empty line")
    }

    func testHostileBytesNeverCrash() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var decoder = G1LineDecoder()
            var buffer = ByteBuffer(
                bytes: (0..<Int.random(in: 0...600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            while try decoder.decode(buffer: &buffer) != nil {}
            XCTAssertLessThanOrEqual(buffer.readableBytes, G1LineDecoder.maxLineLength)
        }
    }

    func testValidSentenceAfterRandomNoiseIsNeverLostInAnySplit() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            var stream = (0..<Int.random(in: 0...400, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            stream += Array("\r\nCV1,?,78\r\nBC1,?,E1\r\n".utf8)
            var decoder = G1LineDecoder()
            var buffer = ByteBuffer()
            var sentences: [G1Sentence] = []
            var index = 0
            while index < stream.count {  // feed in random splits
                let size = Int.random(in: 1...17, using: &generator)
                buffer.writeBytes(stream[index..<min(index + size, stream.count)])
                index += size
                while let output = try decoder.decode(buffer: &buffer) {
                    if case .sentence(let sentence) = output { sentences.append(sentence) }
                }
            }
            XCTAssertEqual(Array(sentences.suffix(2)), [.request("CV1"), .request("BC1")], "round \(round)")
        }
    }

    private func isInvalid(_ output: G1LineDecoder.Output) -> Bool {
        if case .invalid = output { return true }
        return false
    }
}
