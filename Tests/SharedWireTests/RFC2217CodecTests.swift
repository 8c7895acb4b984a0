import NIOCore
import NIOTestUtils
import SharedWire
import XCTest

/// The Telnet and COM-PORT-OPTION codec: grammar, decoder, encoder, caps and hostile input.
final class RFC2217CodecTests: XCTestCase {
    private let iac = Telnet.iac, sb = Telnet.sb, se = Telnet.se

    func testDecoderHandlesAnySplitOfCommandsAndEscapes() throws {
        let input: [UInt8] = [
            iac, 251, 0,  // WILL BINARY
            iac, 253, 44,  // DO COM-PORT-OPTION
            iac, sb, 44, 1, 0, 0, 0xE1, 0, iac, se,  // SET-BAUDRATE 57600
            iac, iac,  // one data byte 0xFF
            iac, sb, 44, 0, 0x41, iac, iac, 0x42, iac, se,  // SIGNATURE "A\u{FF}B"
            iac, Telnet.nop,
            iac, sb, 24, 1, iac, se,  // TERMINAL-TYPE SEND, another option
            iac, sb, 44, 7, iac, se,  // NOTIFY-MODEMSTATE without a value
        ]
        let expected: [TelnetEvent] = [
            .negotiation(.will, .binary),
            .negotiation(.do, .comPort),
            .comPort(command: 1, value: ByteBuffer(bytes: [0, 0, 0xE1, 0])),
            .data(ByteBuffer(bytes: [0xFF])),
            .comPort(command: 0, value: ByteBuffer(bytes: [0x41, 0xFF, 0x42])),
            .command(Telnet.nop),
            .subnegotiation(TelnetOption(rawValue: 24), ByteBuffer(bytes: [1])),
            .comPort(command: 7, value: ByteBuffer()),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(ByteBuffer(bytes: input), expected)], decoderFactory: { TelnetDecoder() })
    }

    func testDataArrivesWholeHoweverItIsSplit() throws {
        let data: [UInt8] = Array("CV1,?,78\r\n".utf8) + [0xFF, 0x00, 0xFF, 0xFF, 0x41]
        var wire = ByteBuffer()
        wire.writeTelnetData(ByteBuffer(bytes: data))
        XCTAssertEqual(wire.readableBytes, data.count + 3, "each 0xFF is doubled")
        for chunk in [1, 2, 3, 7, wire.readableBytes] {
            var decoder = TelnetDecoder()
            var buffer = ByteBuffer()
            var received: [UInt8] = []
            var rest = wire
            while let slice = rest.readSlice(length: min(chunk, rest.readableBytes)), slice.readableBytes > 0 {
                buffer.writeImmutableBuffer(slice)
                while let event = try decoder.decode(buffer: &buffer) {
                    guard case .data(let bytes) = event else { return XCTFail("unexpected \(event)") }
                    received += bytes.readableBytesView
                }
            }
            XCTAssertEqual(received, data, "chunks of \(chunk)")
            XCTAssertEqual(buffer.readableBytes, 0)
        }
    }

    func testPartialElementConsumesNothing() throws {
        for partial: [UInt8] in [[iac], [iac, 251], [iac, sb, 44, 1, 0, 0], [iac, sb, 44, 1, iac], [iac, sb, 44, 0, iac, iac]] {
            var buffer = ByteBuffer(bytes: partial)
            XCTAssertNil(try buffer.readTelnetEvent(maxSubnegotiationLength: 256), "\(partial)")
            XCTAssertEqual(buffer.readerIndex, 0, "\(partial)")
        }
    }

    func testDataStopsAtTheNextCommand() throws {
        var buffer = ByteBuffer(bytes: [0x41, 0x42, iac, 241, 0x43])
        XCTAssertEqual(try buffer.readTelnetEvent(maxSubnegotiationLength: 256), .data(ByteBuffer(string: "AB")))
        XCTAssertEqual(try buffer.readTelnetEvent(maxSubnegotiationLength: 256), .command(241))
        XCTAssertEqual(try buffer.readTelnetEvent(maxSubnegotiationLength: 256), .data(ByteBuffer(string: "C")))
        XCTAssertNil(try buffer.readTelnetEvent(maxSubnegotiationLength: 256))
    }

    func testSubnegotiationCapIsEnforcedBeforeTheEndArrives() throws {
        let cap = TelnetDecoder.maxSubnegotiationLength
        var decoder = TelnetDecoder()
        // Exactly at the cap (option + command + value): accepted.
        var atCap = ByteBuffer(bytes: [iac, sb, 44, 0] + Array(repeating: 0x41, count: cap - 2) + [iac, se])
        XCTAssertEqual(try decoder.decode(buffer: &atCap), .comPort(command: 0, value: ByteBuffer(repeating: 0x41, count: cap - 2)))
        // One byte more, with no IAC SE yet: refused without waiting for the end.
        var over = ByteBuffer(bytes: [iac, sb, 44, 0] + Array(repeating: 0x41, count: cap - 1))
        XCTAssertThrowsError(try decoder.decode(buffer: &over)) { error in
            XCTAssertEqual(error as? TelnetDecodingError, .subnegotiationTooLong(limit: cap))
            XCTAssertTrue("\(error)".contains("\(cap)"), "the message names the limit")
        }
        // Escaped bytes count once.
        var escaped = ByteBuffer(bytes: [iac, sb, 44, 0] + Array(repeating: iac, count: 2 * (cap - 2)) + [iac, se])
        XCTAssertEqual(try decoder.decode(buffer: &escaped), .comPort(command: 0, value: ByteBuffer(repeating: 0xFF, count: cap - 2)))
    }

    func testMalformedSubnegotiationsThrowNamingTheProblem() {
        let cases: [([UInt8], TelnetDecodingError)] = [
            ([iac, sb, 44, 1, iac, 251, 0], .commandInsideSubnegotiation(251)),
            ([iac, sb, iac, se], .emptySubnegotiation),
            ([iac, sb, 44, iac, se], .comPortWithoutCommand),
        ]
        for (bytes, expected) in cases {
            var buffer = ByteBuffer(bytes: bytes)
            XCTAssertThrowsError(try buffer.readTelnetEvent(maxSubnegotiationLength: 256)) { error in
                XCTAssertEqual(error as? TelnetDecodingError, expected)
            }
        }
    }

    func testAnswersAreEncodedWithCommandPlus100AndEscapedValues() {
        let cases: [(ComPortAnswer, [UInt8])] = [
            (.baudRate(57_600), [iac, sb, 44, 101, 0, 0, 0xE1, 0, iac, se]),
            (.baudRate(0xFF00_00FF), [iac, sb, 44, 101, iac, iac, 0, 0, iac, iac, iac, se]),
            (.dataSize(8), [iac, sb, 44, 102, 8, iac, se]),
            (.parity(.none), [iac, sb, 44, 103, 1, iac, se]),
            (.stopSize(.two), [iac, sb, 44, 104, 2, iac, se]),
            (.control(.dtrOn), [iac, sb, 44, 105, 8, iac, se]),
            (.modemState(0xFF), [iac, sb, 44, 107, iac, iac, iac, se]),
            (.purgeData(3), [iac, sb, 44, 112, 3, iac, se]),
            (.signature("bms"), [iac, sb, 44, 100, 0x62, 0x6D, 0x73, iac, se]),
        ]
        for (answer, bytes) in cases {
            var buffer = ByteBuffer()
            buffer.writeComPortAnswer(answer)
            XCTAssertEqual(Array(buffer.readableBytesView), bytes, "\(answer)")
        }
        var negotiation = ByteBuffer()
        negotiation.writeTelnetNegotiation(.will, .suppressGoAhead)
        XCTAssertEqual(Array(negotiation.readableBytesView), [iac, 251, 3])
    }

    func testAnswersRoundTripThroughTheDecoder() throws {
        for answer: ComPortAnswer in [.baudRate(0xFFFF_FFFF), .signature("ÿ-\u{FF}"), .lineStateMask(0xFF)] {
            var buffer = ByteBuffer()
            buffer.writeComPortAnswer(answer)
            var decoder = TelnetDecoder()
            XCTAssertEqual(
                try decoder.decode(buffer: &buffer),
                .comPort(command: answer.serverCode, value: ByteBuffer(bytes: answer.valueBytes)))
            XCTAssertEqual(buffer.readableBytes, 0)
        }
    }

    func testRequestsAreReadWithTheirValuesOrRefusedNamingTheCommand() throws {
        XCTAssertEqual(try ComPortRequest(command: 1, value: ByteBuffer(bytes: [0, 0, 0x25, 0x80])), .setBaudRate(9_600))
        XCTAssertEqual(try ComPortRequest(command: 5, value: ByteBuffer(bytes: [8])), .setControl(8))
        XCTAssertEqual(try ComPortRequest(command: 7, value: ByteBuffer()), .notifyModemState(nil))
        XCTAssertEqual(try ComPortRequest(command: 0, value: ByteBuffer()), .signature(""))
        XCTAssertEqual(try ComPortRequest(command: 8, value: ByteBuffer()), .flowControlSuspend)
        XCTAssertThrowsError(try ComPortRequest(command: 1, value: ByteBuffer(bytes: [0x25, 0x80]))) { error in
            XCTAssertTrue("\(error)".contains("SET-BAUDRATE"), "\(error)")
            XCTAssertTrue("\(error)".contains("4 bytes"), "\(error)")
        }
        XCTAssertThrowsError(try ComPortRequest(command: 3, value: ByteBuffer(bytes: [1, 2])))
        XCTAssertThrowsError(try ComPortRequest(command: 101, value: ByteBuffer(bytes: [1]))) { error in
            XCTAssertTrue("\(error)".contains("101"), "\(error)")
        }
    }

    func testHostileBytesNeverCrash() throws {
        var generator = SystemRandomNumberGenerator()
        // Bytes weighted towards the Telnet command range, so that commands and
        // subnegotiations of every shape turn up.
        let alphabet: [UInt8] = [iac, iac, iac, sb, se, 251, 252, 253, 254, 44, 44, 0, 1, 3, 7, 241, 0x41]
        for round in 0..<2_000 {
            let count = Int.random(in: 0...64, using: &generator)
            let bytes = (0..<count).map { _ in
                Bool.random(using: &generator)
                    ? alphabet.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            var decoder = TelnetDecoder(maxSubnegotiationLength: 16)
            var buffer = ByteBuffer(bytes: bytes)
            do {
                while buffer.readableBytes > 0, let event = try decoder.decode(buffer: &buffer) {
                    if case .data(let data) = event { XCTAssertGreaterThan(data.readableBytes, 0, "round \(round)") }
                }
            } catch is TelnetDecodingError {
                // Refused with a reason: the connection would be closed.
            }
            XCTAssertLessThanOrEqual(buffer.readableBytes, count)
        }
    }
}
