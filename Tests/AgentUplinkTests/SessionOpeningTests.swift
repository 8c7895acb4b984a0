import Glibc
import SerialIO
import SharedWire
import XCTest

@testable import TunnelAgent

/// Which sessions the agent starts when the relay asks, from the request and the port's state.
final class SessionOpeningTests: XCTestCase {
    private func request(_ mode: TunnelMessage.SessionMode, id: String = "5e55105", takeOver: Bool = false) -> TunnelMessage.OpenSession {
        .init(sessionID: id, mode: mode, serial: .init(), takeOver: takeOver)
    }

    func testABadSessionIDIsNotAnswered() {
        XCTAssertEqual(
            SessionOpening.check(request(.control, id: "../../etc/passwd")),
            .ignore(reason: "invalid session ID \"../../etc/passwd\""))
        XCTAssertNil(SessionOpening.check(request(.control)))
    }

    func testAPortThatCannotBeOpenedIsNamedInTheRefusal() {
        let busy = SerialPortError(path: "/dev/ttyUSB0", operation: "lock", errorNumber: EWOULDBLOCK)
        XCTAssertEqual(
            SessionOpening.decide(request(.control), device: "/dev/ttyUSB0", port: .failure(busy)),
            .refuse(.serialBusy, busy.description))
        let gone = SerialPortError(path: "/dev/ttyUSB0", operation: "open", errorNumber: ENOENT)
        XCTAssertEqual(
            SessionOpening.decide(request(.monitor), device: "/dev/ttyUSB0", port: .failure(gone)),
            .refuse(.serialUnavailable, gone.description))
    }

    func testOneControlSessionAtATimeUnlessTakenOver() {
        XCTAssertEqual(
            SessionOpening.decide(request(.control), device: "/dev/ttyUSB0", port: .success(nil)), .start(takingOverFrom: nil))
        XCTAssertEqual(
            SessionOpening.decide(request(.control), device: "/dev/ttyUSB0", port: .success("0dd")),
            .refuse(.serialBusy, "serial port /dev/ttyUSB0 is in use by control session 0dd"))
        XCTAssertEqual(
            SessionOpening.decide(request(.control, takeOver: true), device: "/dev/ttyUSB0", port: .success("0dd")),
            .start(takingOverFrom: "0dd"))
        XCTAssertEqual(
            SessionOpening.decide(request(.monitor), device: "/dev/ttyUSB0", port: .success("0dd")), .start(takingOverFrom: nil),
            "monitors join beside a control session")
    }
}
