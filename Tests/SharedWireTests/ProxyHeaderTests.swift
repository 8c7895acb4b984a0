import NIOCore
import NIOTestUtils
import SharedWire
import XCTest

/// The PROXY protocol version 2 header as HAProxy's `send-proxy-v2` writes it: layouts
/// written out byte by byte, splits, leftovers, the size cap and hostile headers.
final class ProxyHeaderTests: XCTestCase {
    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// PROXY, TCP over IPv4, 192.0.2.7:51000 → 198.51.100.1:7443, written out by hand.
    static let inet4: [UInt8] =
        signature + [0x21, 0x11, 0x00, 0x0C] + [192, 0, 2, 7] + [198, 51, 100, 1] + [0xC7, 0x38] + [0x1D, 0x13]

    func testIPv4HeaderGivesTheClientsAddress() throws {
        var buffer = ByteBuffer(bytes: Self.inet4)
        let header = try XCTUnwrap(try buffer.readProxyHeader())
        XCTAssertEqual(
            header,
            .proxied(
                source: try SocketAddress(ipAddress: "192.0.2.7", port: 51_000),
                destination: try SocketAddress(ipAddress: "198.51.100.1", port: 7443)))
        XCTAssertEqual(header.clientAddress?.ipAddress, "192.0.2.7")
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testIPv6HeaderGivesTheClientsAddress() throws {
        let source: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [0x05]
        let destination: [UInt8] = Array(repeating: 0, count: 15) + [0x01]
        var buffer = ByteBuffer(bytes: Self.signature + [0x21, 0x21, 0x00, 0x24] + source + destination + [0x01, 0xBB, 0x1D, 0x13])
        let header = try XCTUnwrap(try buffer.readProxyHeader())
        XCTAssertEqual(
            header,
            .proxied(
                source: try SocketAddress(ipAddress: "2001:db8::5", port: 443),
                destination: try SocketAddress(ipAddress: "::1", port: 7443)))
    }

    func testLocalCommandKeepsTheSocketsAddress() throws {
        // HAProxy's health checks: LOCAL, UNSPEC, nothing after the fixed part.
        var buffer = ByteBuffer(bytes: Self.signature + [0x20, 0x00, 0x00, 0x00])
        XCTAssertEqual(try buffer.readProxyHeader(), .local)
        XCTAssertNil(ProxyHeader.local.clientAddress)
        // A LOCAL header's addresses are ignored, whatever family it names.
        var withAddresses = ByteBuffer(bytes: Self.signature + [0x20, 0x11, 0x00, 0x0C] + Array(repeating: 9, count: 12))
        XCTAssertEqual(try withAddresses.readProxyHeader(), .local)
        XCTAssertEqual(withAddresses.readableBytes, 0)
    }

    func testUnspecifiedFamilyCarriesNoAddress() throws {
        var buffer = ByteBuffer(bytes: Self.signature + [0x21, 0x00, 0x00, 0x00])
        XCTAssertEqual(try buffer.readProxyHeader(), .unspecified)
        XCTAssertNil(ProxyHeader.unspecified.clientAddress)
    }

    func testTLVsAreSkippedAndTheClientsBytesStay() throws {
        // ALPN "h2" (0x01), authority "relay" (0x02), then a NOOP with no value (0x04).
        let tlvs: [UInt8] = [0x01, 0x00, 0x02] + Array("h2".utf8) + [0x02, 0x00, 0x05] + Array("relay".utf8) + [0x04, 0x00, 0x00]
        var bytes = Self.inet4
        bytes[15] = UInt8(12 + tlvs.count)
        var buffer = ByteBuffer(bytes: bytes + tlvs + [0x16, 0x03, 0x01])
        XCTAssertEqual(try buffer.readProxyHeader()?.clientAddress?.port, 51_000)
        XCTAssertEqual(Array(buffer.readableBytesView), [0x16, 0x03, 0x01], "the TLS record after the header is left alone")
    }

    func testTruncatedHeaderNeedsMoreBytesAndConsumesNothing() throws {
        for cut in 0..<Self.inet4.count {
            var buffer = ByteBuffer(bytes: Self.inet4.prefix(cut))
            XCTAssertNil(try buffer.readProxyHeader(), "\(cut) bytes")
            XCTAssertEqual(buffer.readableBytes, cut, "a partial read consumes nothing")
        }
    }

    func testEverySplitDecodesTheSameHeader() throws {
        var header = ByteBuffer()
        header.writeProxyHeader(
            .proxied(
                source: try SocketAddress(ipAddress: "127.0.0.5", port: 40_000),
                destination: try SocketAddress(ipAddress: "127.0.0.1", port: 7443)), tlvs: [(0x04, [0, 0, 0])])
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (
                    header,
                    [
                        .proxied(
                            source: try SocketAddress(ipAddress: "127.0.0.5", port: 40_000),
                            destination: try SocketAddress(ipAddress: "127.0.0.1", port: 7443))
                    ]
                )
            ], decoderFactory: { ProxyHeaderDecoder() })
    }

    func testWrittenHeadersReadBack() throws {
        let headers: [ProxyHeader] = [
            .local, .unspecified,
            .proxied(
                source: try SocketAddress(ipAddress: "10.1.2.3", port: 1),
                destination: try SocketAddress(ipAddress: "10.0.0.1", port: 65_535)),
            .proxied(source: try SocketAddress(ipAddress: "fe80::1", port: 2), destination: try SocketAddress(ipAddress: "::1", port: 3)),
        ]
        for header in headers {
            var buffer = ByteBuffer()
            buffer.writeProxyHeader(header)
            XCTAssertEqual(try buffer.readProxyHeader(), header)
        }
        var written = ByteBuffer()
        written.writeProxyHeader(headers[2])
        XCTAssertEqual(Array(written.readableBytesView.prefix(16)), Self.signature + [0x21, 0x11, 0x00, 0x0C])
    }

    func testBadSignatureIsRefusedFromItsFirstByte() {
        // A TLS ClientHello sent straight to a listener that expects a header.
        var buffer = ByteBuffer(bytes: [0x16])
        XCTAssertThrowsError(try buffer.readProxyHeader()) { error in
            XCTAssertEqual(error as? ProxyHeaderError, .notProxyProtocol(start: [0x16]))
            XCTAssertTrue("\(error)".contains("first bytes 16"), "\(error)")
        }
        var almost = ByteBuffer(bytes: Array(Self.signature.prefix(11)) + [0x0B, 0x21, 0x11, 0x00, 0x00])
        XCTAssertThrowsError(try almost.readProxyHeader()) { error in
            guard case .notProxyProtocol = error as? ProxyHeaderError else { return XCTFail("\(error)") }
        }
    }

    func testVersion1IsNamed() {
        var buffer = ByteBuffer(string: "PROXY TCP4 192.0.2.7 198.51.100.1 51000 7443\r\n")
        XCTAssertThrowsError(try buffer.readProxyHeader()) { error in
            XCTAssertEqual(error as? ProxyHeaderError, .version1)
            XCTAssertTrue("\(error)".contains("send-proxy-v2"))
        }
    }

    func testBadVersionAndCommandAreRefused() {
        var version1Binary = ByteBuffer(bytes: Self.signature + [0x11, 0x11, 0x00, 0x0C])
        XCTAssertThrowsError(try version1Binary.readProxyHeader()) { XCTAssertEqual($0 as? ProxyHeaderError, .unsupportedVersion(1)) }
        var version3 = ByteBuffer(bytes: Self.signature + [0x31, 0x11, 0x00, 0x0C])
        XCTAssertThrowsError(try version3.readProxyHeader()) { XCTAssertEqual($0 as? ProxyHeaderError, .unsupportedVersion(3)) }
        var command2 = ByteBuffer(bytes: Self.signature + [0x22, 0x11, 0x00, 0x0C])
        XCTAssertThrowsError(try command2.readProxyHeader()) { XCTAssertEqual($0 as? ProxyHeaderError, .unknownCommand(2)) }
    }

    func testOversizeLengthIsRefusedBeforeItArrives() {
        // 16 + 521 = 537 bytes announced, one over the cap; only the fixed part is there.
        var buffer = ByteBuffer(bytes: Self.signature + [0x21, 0x11, 0x02, 0x09])
        XCTAssertThrowsError(try buffer.readProxyHeader()) { error in
            XCTAssertEqual(error as? ProxyHeaderError, .tooLong(length: 537, limit: 536))
        }
        var largest = ByteBuffer(bytes: Self.signature + [0x21, 0x11, 0x02, 0x08])
        XCTAssertNil(try largest.readProxyHeader(), "536 bytes is within the cap and waits for the rest")
        var maximal = ByteBuffer(bytes: Self.signature + [0x21, 0x11, 0xFF, 0xFF])
        XCTAssertThrowsError(try maximal.readProxyHeader()) { error in
            XCTAssertEqual(error as? ProxyHeaderError, .tooLong(length: 65_551, limit: 536))
        }
    }

    func testUnknownFamilyIsRefused() {
        for family: UInt8 in [0x12, 0x22, 0x31, 0x32, 0x41, 0x13, 0xFF] {
            var buffer = ByteBuffer(bytes: Self.signature + [0x21, family, 0x00, 0x0C] + Array(repeating: 0, count: 12))
            XCTAssertThrowsError(try buffer.readProxyHeader()) { error in
                XCTAssertEqual(error as? ProxyHeaderError, .unsupportedFamily(family))
            }
        }
    }

    func testAddressBlockShorterThanItsFamilyIsRefused() {
        var buffer = ByteBuffer(bytes: Self.signature + [0x21, 0x21, 0x00, 0x0C] + Array(repeating: 0, count: 12))
        XCTAssertThrowsError(try buffer.readProxyHeader()) { error in
            XCTAssertEqual(error as? ProxyHeaderError, .addressBlockTooShort(family: 0x21, length: 12, needed: 36))
        }
    }

    func testTLVRunningPastTheHeaderIsRefused() {
        var bytes = Self.inet4 + [0x01, 0x00, 0x09, 0x68]  // announces 9 value bytes, has 1
        bytes[15] = 16
        var buffer = ByteBuffer(bytes: bytes)
        XCTAssertThrowsError(try buffer.readProxyHeader()) { error in
            XCTAssertEqual(error as? ProxyHeaderError, .truncatedTLV(type: 0x01, offset: 28))
        }
        var stub = Self.inet4 + [0x01, 0x00]
        stub[15] = 14
        var stubBuffer = ByteBuffer(bytes: stub)
        XCTAssertThrowsError(try stubBuffer.readProxyHeader()) { error in
            XCTAssertEqual(error as? ProxyHeaderError, .truncatedTLV(type: nil, offset: 28))
        }
    }

    func testHostileBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var bytes =
                Self.signature + (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if bytes.count > 12, Bool.random(using: &generator) { bytes[12] = 0x21 }
            var buffer = ByteBuffer(bytes: bytes)
            let before = buffer.readableBytes
            if let header = try? buffer.readProxyHeader() {
                XCTAssertLessThan(buffer.readableBytes, before, "\(header) consumed its bytes")
            }
        }
    }
}
