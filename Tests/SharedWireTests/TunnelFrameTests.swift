import NIOCore
import NIOTestUtils
import SharedWire
import XCTest

/// The tunnel protocol's framing and messages: round trips, splits, caps and hostile bytes.
final class TunnelFrameTests: XCTestCase {
    static let everyMessage: [TunnelMessage] = [
        .hello(.init(role: .agentControl, software: "tunnel-agent/1", sessionID: "", credential: "")),
        .hello(.init(role: .client, software: "c", sessionID: "s", credential: "st1.a.b")),
        .welcome(.init(identity: "pack-1", pingIntervalMilliseconds: 15_000)),
        .openSession(
            .init(
                sessionID: "abc", mode: .monitor,
                serial: .init(baudRate: 57_600, dataBits: 7, parity: .even, stopBits: .two, flowControl: .hardware))),
        .openSession(.init(sessionID: "abd", mode: .control, serial: .init(), takeOver: true)),
        .closeSession(.init(sessionID: "abc", code: .serialBusy, message: "busy")),
        .sessionStatus(.init(state: .connected, deviceID: "pack-1", mode: .control)),
        .serialData(ByteBuffer(string: "CV1,?,78\r\n")),
        .serialData(ByteBuffer()),
        .serialControl(.setBaudRate(115_200)),
        .serialControl(.setParity(.mark)),
        .serialControl(.purge(.both)),
        .serialControl(.sendBreak(milliseconds: 250)),
        .serialControlResult(.init(operation: .setDTR, value: 1, status: .unsupported)),
        .serialState(.init(lineState: 0x60, modemState: 0x30)),
        .ping(42), .pong(.max),
        .goingAway(.init(code: .tokenExpired, message: "expired")),
        .renewCertificate([0x30, 0x82, 0x01, 0x00]),
        .certificate(.init(certificate: [0x30, 0x03, 0x02, 0x01, 0x05])),
        .certificate(.refused(.certificateRefused, "the request's common name is not pack-1")),
        .certificateInstalled("1a2b3c"),
        .renewRequested("operator asked"),
        .watchers(["ana", "vic"]), .watchers([]),
        .diagnoseRequested("dg-0123456789abcdef"),
        .diagnosticData(.init(requestID: "dg-1", data: ByteBuffer(bytes: [0x1F, 0x8B, 0x08, 0x00]))),
        .diagnosticData(.init(requestID: "dg-1", data: ByteBuffer())),
        .diagnosticEnd(.init(requestID: "dg-1", length: 4, sha256: Array(repeating: 0xAB, count: 32))),
        .diagnosticEnd(.failed("dg-1", "a bundle is already being made")),
    ]

    func testEveryMessageRoundTripsInAnySplit() throws {
        var stream = ByteBuffer()
        for message in Self.everyMessage { message.write(to: &stream) }
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(stream, Self.everyMessage)], decoderFactory: { TunnelMessageDecoder() })
    }

    func testHeaderLayout() {
        var buffer = ByteBuffer()
        TunnelMessage.ping(0x0102_0304_0506_0708).write(to: &buffer)
        XCTAssertEqual(Array(buffer.readableBytesView), [0x30, 0x00, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])
    }

    func testOversizeFrameIsRefusedFromItsHeader() {
        var buffer = ByteBuffer(bytes: [0x20, 0, 0, 1, 0, 1])  // announces 65537 bytes
        XCTAssertThrowsError(try buffer.readTunnelFrame()) { error in
            XCTAssertEqual((error as? TunnelProtocolError)?.code, .frameTooLarge)
        }
    }

    func testUnknownIgnorableFrameIsSkipped() throws {
        var buffer = ByteBuffer(bytes: [0x7E, 0x01, 0, 0, 0, 2, 0xAA, 0xBB])
        TunnelMessage.ping(7).write(to: &buffer)
        var decoder = TunnelMessageDecoder()
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .ping(7))
    }

    func testUnknownFrameWithoutIgnorableFlagIsAnError() {
        var buffer = ByteBuffer(bytes: [0x7E, 0x00, 0, 0, 0, 0])
        var decoder = TunnelMessageDecoder()
        XCTAssertThrowsError(try decoder.decode(buffer: &buffer)) { error in
            XCTAssertEqual((error as? TunnelProtocolError)?.code, .unknownFrameType)
        }
    }

    func testTruncatedAndOverlongPayloadsAreErrors() {
        // A HELLO whose payload stops inside the software string.
        var truncated = ByteBuffer(bytes: [0x01, 0, 0, 0, 0, 4, 1, 3, 0, 9])
        var decoder = TunnelMessageDecoder()
        XCTAssertThrowsError(try decoder.decode(buffer: &truncated))
        // A PING with two extra bytes.
        var overlong = ByteBuffer(bytes: [0x30, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9])
        XCTAssertThrowsError(try decoder.decode(buffer: &overlong))
    }

    func testInvalidSerialControlValuesAreRefused() {
        XCTAssertThrowsError(try SerialControl(operation: 2, value: 9))  // 9 data bits
        XCTAssertThrowsError(try SerialControl(operation: 3, value: 0))  // parity 0
        XCTAssertThrowsError(try SerialControl(operation: 99, value: 0))
        XCTAssertEqual(try SerialControl(operation: 6, value: 1), .setDTR(true))
    }

    func testHostileBytesNeverCrashTheDecoder() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            var decoder = TunnelMessageDecoder()
            var buffer = ByteBuffer(
                bytes: (0..<Int.random(in: 0...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            do {
                while try decoder.decode(buffer: &buffer) != nil {}
            } catch is TunnelProtocolError {
                // A clear protocol error is the expected outcome for garbage.
            } catch {
                XCTFail("unexpected error type: \(error)")
            }
        }
    }
}

final class TelemetryFrameTests: XCTestCase {
    func testTelemetryIsSentIgnorableAndComesBackWhole() throws {
        let record = #"{"ts":1,"values":{"soc":81.5}}"#
        var buffer = ByteBuffer()
        TunnelMessage.telemetry(ByteBuffer(string: record)).write(to: &buffer)
        let frame = try XCTUnwrap(try buffer.readTunnelFrame())
        XCTAssertEqual(frame.type, 0x40)
        XCTAssertTrue(frame.flags.contains(.ignorable), "a relay that does not know telemetry skips it")
        XCTAssertEqual(try TunnelMessage(frame: frame), .telemetry(ByteBuffer(string: record)))
    }
}

final class CertificateRenewalFrameTests: XCTestCase {
    func testAgentSentRenewalFramesAreIgnorableSoOlderRelaysSkipThem() throws {
        for message: TunnelMessage in [.renewCertificate([1, 2, 3]), .certificateInstalled("ab"), .renewRequested("")] {
            var buffer = ByteBuffer()
            message.write(to: &buffer)
            let frame = try XCTUnwrap(try buffer.readTunnelFrame())
            XCTAssertTrue(frame.flags.contains(.ignorable), "\(message.frameType)")
        }
    }

    func testDiagnosticFramesAreIgnorableAndLaidOutAsDocumented() throws {
        for message: TunnelMessage in [
            .diagnoseRequested("a"), .diagnosticData(.init(requestID: "a", data: ByteBuffer())), .diagnosticEnd(.failed("a", "")),
        ] {
            var buffer = ByteBuffer()
            message.write(to: &buffer)
            let frame = try XCTUnwrap(try buffer.readTunnelFrame())
            XCTAssertTrue(frame.flags.contains(.ignorable), "\(message.frameType)")
        }
        var buffer = ByteBuffer()
        TunnelMessage.diagnosticData(.init(requestID: "d1", data: ByteBuffer(bytes: [0xCA, 0xFE]))).write(to: &buffer)
        XCTAssertEqual(Array(buffer.readableBytesView), [0x61, 0x01, 0, 0, 0, 6, 0, 2, 0x64, 0x31, 0xCA, 0xFE])
        buffer.clear()
        TunnelMessage.diagnosticEnd(.init(requestID: "d1", length: 2, sha256: [0xEE])).write(to: &buffer)
        XCTAssertEqual(
            Array(buffer.readableBytesView), [0x62, 0x01, 0, 0, 0, 15, 0, 2, 0x64, 0x31, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0xEE])
    }

    func testWatchersAreIgnorableLaidOutAsDocumentedAndBounded() throws {
        var buffer = ByteBuffer()
        TunnelMessage.watchers(["vic", "a"]).write(to: &buffer)
        XCTAssertEqual(Array(buffer.readableBytesView), [0x13, 0x01, 0, 0, 0, 9, 2, 0, 3, 0x76, 0x69, 0x63, 0, 1, 0x61])
        var payload = ByteBuffer()
        payload.writeInteger(UInt8(TunnelLimits.maxWatchersListed + 1))
        for _ in 0...TunnelLimits.maxWatchersListed { payload.writeBytes([0, 1, 0x61]) }
        XCTAssertThrowsError(try TunnelMessage(frame: TunnelFrame(type: 0x13, flags: .ignorable, payload: payload))) { error in
            XCTAssertEqual((error as? TunnelProtocolError)?.code, .protocolError)
        }
        buffer.clear()
        TunnelMessage.watchers((0..<40).map { "user\($0)" }).write(to: &buffer)
        let frame = try XCTUnwrap(try buffer.readTunnelFrame())
        guard case .watchers(let names) = try TunnelMessage(frame: frame) else { return XCTFail("not WATCHERS") }
        XCTAssertEqual(names.count, TunnelLimits.maxWatchersListed, "a longer list is cut to what may be sent")
    }

    func testAWatchedSentenceIsIgnorableLaidOutAsDocumentedAndChecked() throws {
        var buffer = ByteBuffer()
        let sentence = TunnelMessage.WatchedSentence(at: 0x0102, toDevice: false, line: "CV1", name: "CV1", meaning: "m")
        TunnelMessage.watchedSentence(sentence).write(to: &buffer)
        XCTAssertEqual(
            Array(buffer.readableBytesView),
            [0x14, 0x01, 0, 0, 0, 22, 0, 0, 0, 0, 0, 0, 1, 2, 2, 0, 3, 0x43, 0x56, 0x31, 0, 3, 0x43, 0x56, 0x31, 0, 1, 0x6D])
        let frame = try XCTUnwrap(try buffer.readTunnelFrame())
        XCTAssertEqual(try TunnelMessage(frame: frame), .watchedSentence(sentence))
        var payload = ByteBuffer()
        payload.writeInteger(UInt64(1))
        payload.writeInteger(UInt8(3))
        payload.writeBytes([0, 0, 0, 0, 0, 0])
        XCTAssertThrowsError(try TunnelMessage(frame: TunnelFrame(type: 0x14, flags: .ignorable, payload: payload))) { error in
            XCTAssertEqual((error as? TunnelProtocolError)?.code, .protocolError, "a direction other than 1 or 2")
        }
    }

    func testCaptureDataCarriesRawBytesAndAnEmptyOneEndsTheFile() throws {
        var buffer = ByteBuffer()
        TunnelMessage.captureData(ByteBuffer(bytes: [0x7B, 0x0A])).write(to: &buffer)
        TunnelMessage.captureData(ByteBuffer()).write(to: &buffer)
        XCTAssertEqual(Array(buffer.readableBytesView), [0x15, 0x01, 0, 0, 0, 2, 0x7B, 0x0A, 0x15, 0x01, 0, 0, 0, 0])
        let first = try XCTUnwrap(try buffer.readTunnelFrame())
        XCTAssertEqual(try TunnelMessage(frame: first), .captureData(ByteBuffer(bytes: [0x7B, 0x0A])))
        let end = try XCTUnwrap(try buffer.readTunnelFrame())
        XCTAssertEqual(try TunnelMessage(frame: end), .captureData(ByteBuffer()))
        XCTAssertTrue(TunnelMessage.Role.nodeCapture.isNode)
        XCTAssertEqual(TunnelErrorCode(rawValue: 28), .captureUnavailable)
    }

    func testANodeWatchHelloNamesASessionAndAUser() throws {
        func check(_ sessionID: String, _ user: String) throws {
            try TunnelMessage.Hello(role: .nodeWatch, software: "tunnel-relay/1", sessionID: sessionID, credential: user)
                .checkIdentifiers()
        }
        XCTAssertNoThrow(try check("a1b2", "vic@example.com"))
        for (sessionID, user) in [("", "vic"), ("a1b2", ""), ("a1b2", "@vic"), ("a1b2", "vic smith"), ("a1b2", "../etc")] {
            XCTAssertThrowsError(try check(sessionID, user), "\(sessionID) \(user)") { error in
                XCTAssertEqual((error as? TunnelProtocolError)?.code, .invalidIdentifier)
            }
        }
        XCTAssertTrue(TunnelMessage.Role.nodeWatch.isNode)
    }

    func testCertificateAnswerLayout() throws {
        var buffer = ByteBuffer()
        TunnelMessage.certificate(.init(code: .normal, message: "", certificate: [0xAA, 0xBB])).write(to: &buffer)
        XCTAssertEqual(Array(buffer.readableBytesView), [0x51, 0x00, 0, 0, 0, 8, 0, 0, 0, 0, 0, 2, 0xAA, 0xBB])
    }

    func testBytesFieldBeyondItsLimitIsAProtocolError() {
        var payload = ByteBuffer()
        payload.writeInteger(UInt16(TunnelLimits.maxBytesFieldLength + 1))
        payload.writeRepeatingByte(0, count: TunnelLimits.maxBytesFieldLength + 1)
        XCTAssertThrowsError(try TunnelMessage(frame: TunnelFrame(type: 0x50, flags: .ignorable, payload: payload))) { error in
            XCTAssertEqual((error as? TunnelProtocolError)?.code, .protocolError)
        }
    }
}

final class TunnelMessageLayoutTests: XCTestCase {
    /// A pipeline carries messages in `NIOAny`, whose `Any` holds up to 24 bytes without a heap
    /// box: the serial data path must stay within that (large cases are `indirect`).
    func testAMessageFitsAnExistentialsInlineBuffer() {
        XCTAssertLessThanOrEqual(MemoryLayout<TunnelMessage>.size, 3 * MemoryLayout<Int>.size)
    }
}
