import NIOCore
import NIOTestUtils
import SharedWire
import XCTest

/// The slcan grammar and decoder: the syntax of the reference, round trips, split input,
/// garbage, the line cap and hostile bytes.
final class SLCANCodecTests: XCTestCase {
    func testWritesTheReferenceSyntax() throws {
        let cases: [(SLCANMessage, String)] = [
            (.frame(try CANFrame(id: 0x123, extended: false, data: [0xAA, 0x0B])), "t1232AA0B\r"),
            (.frame(try CANFrame(id: 0x19B5_0001, extended: true, data: [])), "T19B500010\r"),
            (.frame(try CANFrame(id: 0x7FF, extended: false, data: Array(1...8))), "t7FF80102030405060708\r"),
            (.frame(try CANFrame(remoteID: 0x0A5, extended: false, length: 3)), "r0A53\r"),
            (.frame(try CANFrame(remoteID: 0x19B5_0500, extended: true)), "R19B505000\r"),
            (.setBitRate(.kbit250), "S5\r"),
            (.open, "O\r"),
            (.close, "C\r"),
            (.ok, "\r"),
            (.error, "\u{07}"),
        ]
        for (message, text) in cases {
            var buffer = ByteBuffer()
            buffer.writeSLCANMessage(message)
            XCTAssertEqual(String(buffer: buffer), text, "\(message)")
        }
    }

    func testEveryMessageRoundTrips() throws {
        var messages: [SLCANMessage] = [.open, .close, .ok, .error]
        messages += SLCANBitRate.allCases.map(SLCANMessage.setBitRate)
        for length in 0...8 {
            messages.append(
                .frame(try CANFrame(id: 0x100 + UInt32(length), extended: false, data: (0..<length).map { UInt8($0 * 37 & 0xFF) })))
            messages.append(
                .frame(try CANFrame(id: 0x1FFF_FFF0 + UInt32(length), extended: true, data: (0..<length).map { UInt8(255 - $0) })))
            messages.append(.frame(try CANFrame(remoteID: 0x7F0 + UInt32(length), extended: false, length: length)))
            messages.append(.frame(try CANFrame(remoteID: UInt32(length), extended: true, length: length)))
        }
        var buffer = ByteBuffer()
        for message in messages { buffer.writeSLCANMessage(message) }
        var decoded: [SLCANMessage] = []
        while let message = try buffer.readSLCANMessage() { decoded.append(message) }
        XCTAssertEqual(decoded, messages)
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testReadsLowercaseHexAndBitRates() throws {
        var buffer = ByteBuffer(string: "t1ab2beef\rT19b5000a1ff\rS0\rS8\r")
        XCTAssertEqual(try buffer.readSLCANMessage(), .frame(try CANFrame(id: 0x1AB, extended: false, data: [0xBE, 0xEF])))
        XCTAssertEqual(try buffer.readSLCANMessage(), .frame(try CANFrame(id: 0x19B5_000A, extended: true, data: [0xFF])))
        XCTAssertEqual(try buffer.readSLCANMessage(), .setBitRate(.kbit10))
        XCTAssertEqual(try buffer.readSLCANMessage(), .setBitRate(.mbit1))
        XCTAssertEqual(SLCANBitRate.mbit1.bitsPerSecond, 1_000_000)
    }

    func testPartialOrMalformedReadConsumesNothing() throws {
        var buffer = ByteBuffer(string: "T19B5")
        XCTAssertNil(try buffer.readSLCANMessage())
        XCTAssertEqual(buffer.readableBytes, 5, "a partial line stays for later")
        buffer = ByteBuffer(string: "t12\rO\r")
        XCTAssertThrowsError(try buffer.readSLCANMessage())
        XCTAssertEqual(buffer.readableBytes, 6, "a malformed line is left for discardSLCANLine")
        XCTAssertTrue(buffer.discardSLCANLine())
        XCTAssertEqual(try buffer.readSLCANMessage(), .open)
    }

    func testMalformedLinesAreRejectedWithTheReason() {
        let bad = [
            "t12", "t8000", "t1239", "t12310", "t1231AAB", "t123XZ", "T2000000000", "T19B5000", "r1239", "r1231AA",
            "S9", "S", "S10", "Ox", "Cx", "Z", "V", "t 1230",
        ]
        for line in bad {
            var buffer = ByteBuffer(string: line + "\r")
            XCTAssertThrowsError(try buffer.readSLCANMessage(), line) { error in
                guard case .malformed(let shown, let reason) = error as? SLCANDecodingError else { return XCTFail("\(error)") }
                XCTAssertEqual(shown, line)
                XCTAssertFalse(reason.isEmpty)
            }
        }
    }

    func testFramesAreValidated() {
        XCTAssertThrowsError(try CANFrame(id: 0x800, extended: false, data: [])) { error in
            XCTAssertEqual(error as? CANFrameError, .idOutOfRange(id: 0x800, extended: false))
            XCTAssertTrue("\(error)".contains("0x800"), "the message names the ID")
        }
        XCTAssertThrowsError(try CANFrame(id: 0x2000_0000, extended: true, data: []))
        XCTAssertThrowsError(try CANFrame(id: 1, extended: true, data: Array(repeating: 0, count: 9))) { error in
            XCTAssertEqual(error as? CANFrameError, .tooMuchData(id: 1, count: 9))
        }
        XCTAssertThrowsError(try CANFrame(remoteID: 1, extended: false, length: 9))
        XCTAssertNoThrow(try CANFrame(id: CANFrame.maxExtendedID, extended: true, data: Array(repeating: 0, count: 8)))
    }

    func testDecoderHandlesAnySplit() throws {
        let frame = try CANFrame(id: 0x19B5_0001, extended: true, data: [1, 2, 3, 4, 5, 6, 7])
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("S5\r", [.message(.setBitRate(.kbit250))]),
                ("O\r\r", [.message(.open), .message(.ok)]),
                ("T19B50001701020304050607\r", [.message(.frame(frame))]),
                ("\u{07}r1230\r", [.message(.error), .message(.frame(try CANFrame(remoteID: 0x123, extended: false)))]),
                ("\nC\r", [.message(.close)]),
            ],
            decoderFactory: { SLCANDecoder() })
    }

    func testDecoderResynchronisesAfterGarbage() throws {
        var decoder = SLCANDecoder()
        var buffer = ByteBuffer(string: "hello\rt1230\rxx\u{07}O\r")
        XCTAssertEqual(
            try decoder.decode(buffer: &buffer),
            .invalid(.malformed(line: "hello", reason: "unknown command; expected t, T, r, R, S0-S8, O or C")))
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .message(.frame(try CANFrame(id: 0x123, extended: false, data: []))))
        guard case .invalid(.malformed(line: "xx", _)) = try decoder.decode(buffer: &buffer) else { return XCTFail("garbage before BELL") }
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .message(.error), "the BELL after garbage still counts")
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .message(.open))
        XCTAssertNil(try decoder.decode(buffer: &buffer))
    }

    func testOverlongLineIsReportedOnceAndDecodingResumes() throws {
        var decoder = SLCANDecoder()
        var buffer = ByteBuffer(string: String(repeating: "T", count: SLCANDecoder.maxLineLength + 1))
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .invalid(.lineTooLong(limit: SLCANDecoder.maxLineLength)))
        XCTAssertEqual(buffer.readableBytes, 0, "nothing past the cap is kept")
        buffer.writeString(String(repeating: "t1230", count: 40))
        XCTAssertNil(try decoder.decode(buffer: &buffer), "the rest of the long line is dropped silently")
        buffer.writeString("t1230\rO\r")
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .message(.open), "the first whole line after the long one")
        XCTAssertNil(try decoder.decode(buffer: &buffer))
    }

    func testHostileBytesNeverCrashAndStayBounded() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var decoder = SLCANDecoder()
            let bytes = (0..<Int.random(in: 0...400, using: &random)).map { _ in
                Bool.random(using: &random)
                    ? UInt8.random(in: 0...255, using: &random)
                    : Array("tTrRSOC0123456789ABCDEF\r\u{07}".utf8).randomElement(using: &random)!
            }
            var buffer = ByteBuffer(bytes: bytes)
            while try decoder.decode(buffer: &buffer) != nil {}
            XCTAssertLessThanOrEqual(buffer.readableBytes, SLCANDecoder.maxLineLength)
        }
    }
}
