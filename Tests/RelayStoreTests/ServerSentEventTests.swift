import XCTest

@testable import TunnelRelay

/// A server-sent event carries any text whole: line ends in it become more `data:` lines of
/// the same event, never an end of the event or a field of another.
final class ServerSentEventTests: XCTestCase {
    func testOneLineIsOneDataField() {
        XCTAssertEqual(ServerSentEvent.text(data: "{\"ts\":1}"), "data: {\"ts\":1}\n\n")
        XCTAssertEqual(ServerSentEvent.text(event: "record", data: "x"), "event: record\ndata: x\n\n")
    }

    func testLineEndsOfEveryKindStayInsideTheEvent() {
        let hostile = "{\"ts\":1,\n\n\"values\":{}}\r\nevent: forged\rdata: evil\n"
        let text = ServerSentEvent.text(event: "record", data: hostile)
        XCTAssertEqual(
            text, "event: record\ndata: {\"ts\":1,\ndata: \ndata: \"values\":{}}\ndata: event: forged\ndata: data: evil\ndata: \n\n")
        // The only blank line, which ends an event, is the last one.
        XCTAssertEqual(text.components(separatedBy: "\n\n").count, 2)
        XCTAssertFalse(text.dropLast(2).contains("\n\n"))
        XCTAssertFalse(text.contains("\r"))
    }
}
