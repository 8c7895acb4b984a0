import SharedWire
import XCTest

/// The one form of a peer's identifiers, and the bounds of the serial control values the
/// agent and relay hold to.
final class TunnelIdentifierTests: XCTestCase {
    func testIdentifierForm() {
        for good in ["pack-0042", "a", "A.b_c-9", String(repeating: "x", count: 64), "3f2a9c01e4b7d6a8c9e0f1a2"] {
            XCTAssertTrue(TunnelIdentifier.isValid(good), good)
        }
        for bad in [
            "", ".", "..", "../etc/passwd", ".hidden", "a/b", "a\\b", "sessión", "a b", "a\u{0}b", "a\nb",
            String(repeating: "x", count: 65), "ｐａｃｋ",
        ] {
            XCTAssertFalse(TunnelIdentifier.isValid(bad), bad.debugDescription)
        }
    }

    func testErrorsNameTheFieldAndShowTheValueSafely() {
        XCTAssertThrowsError(try TunnelIdentifier.check("../\u{1B}[2J" + String(repeating: "y", count: 100), field: "HELLO session ID")) {
            error in
            let error = error as! TunnelProtocolError
            XCTAssertEqual(error.code, .invalidIdentifier)
            XCTAssertTrue(error.message.hasPrefix("HELLO session ID \"../\\u{1B}[2J"), error.message)
            XCTAssertLessThan(error.message.count, 160, "the value is shortened")
        }
        XCTAssertNoThrow(try TunnelMessage.Hello(role: .agentControl, software: "tunnel-agent/1.4.0").checkIdentifiers())
        XCTAssertNoThrow(try TunnelMessage.Hello(role: .client, software: "", credential: "st1.x.y").checkIdentifiers())
        XCTAssertThrowsError(try TunnelMessage.Hello(role: .agentData, software: "a", sessionID: "").checkIdentifiers())
        XCTAssertThrowsError(try TunnelMessage.Hello(role: .client, software: "é").checkIdentifiers())
        XCTAssertEqual(TunnelErrorCode(rawValue: 26), .invalidIdentifier)
    }

    func testBreaksAreHeldOneToFiveThousandMilliseconds() {
        XCTAssertEqual(SerialControl.heldBreak(0), 1)
        XCTAssertEqual(SerialControl.heldBreak(250), 250)
        XCTAssertEqual(SerialControl.heldBreak(5_000), 5_000)
        XCTAssertEqual(SerialControl.heldBreak(.max), SerialControl.maxBreakMilliseconds)
    }

    func testRefusalsWithoutThePortCarryTheDocumentedValues() {
        XCTAssertEqual(
            SerialControlResult.refusedUnread(.setBaudRate(9_600)), .init(operation: .setBaudRate, value: 0, status: .unsupported))
        XCTAssertEqual(SerialControlResult.refusedUnread(.setDataBits(7)), .init(operation: .setDataBits, value: 8, status: .unsupported))
        XCTAssertEqual(SerialControlResult.refusedUnread(.setParity(.even)), .init(operation: .setParity, value: 1, status: .unsupported))
        XCTAssertEqual(SerialControlResult.refusedUnread(.setRTS(true)), .init(operation: .setRTS, value: 1, status: .unsupported))
        XCTAssertEqual(SerialControlResult.refusedUnread(.purge(.transmit)), .init(operation: .purge, value: 2, status: .unsupported))
        XCTAssertFalse(SerialControl.setBreak(false).onlyReads)
        XCTAssertTrue(SerialControl.queryState.onlyReads)
    }
}
