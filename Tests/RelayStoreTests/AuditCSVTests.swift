import Foundation
import XCTest

@testable import TunnelRelay

/// The console's CSV export: RFC 4180 quoting and the guard against spreadsheet formulas.
final class AuditCSVTests: XCTestCase {
    func testPlainFieldsStayAsTheyAre() {
        XCTAssertEqual(AuditCSV.field("bms-0001"), "bms-0001")
        XCTAssertEqual(AuditCSV.field(""), "")
    }

    func testCommasQuotesAndLineBreaksAreQuoted() {
        XCTAssertEqual(AuditCSV.field("a,b"), "\"a,b\"")
        XCTAssertEqual(AuditCSV.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(AuditCSV.field("one\ntwo"), "\"one\ntwo\"")
        XCTAssertEqual(AuditCSV.field("one\r\ntwo"), "\"one\r\ntwo\"")
    }

    func testFormulaLikeFieldsAreDefused() {
        XCTAssertEqual(AuditCSV.field("=1+1"), "'=1+1")
        XCTAssertEqual(AuditCSV.field("+1"), "'+1")
        XCTAssertEqual(AuditCSV.field("-1"), "'-1")
        XCTAssertEqual(AuditCSV.field("@SUM(A1)"), "'@SUM(A1)")
        XCTAssertEqual(AuditCSV.field("=HYPERLINK(\"x\",\"y\")"), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"")
        XCTAssertEqual(AuditCSV.field("a=b"), "a=b", "only the first character counts")
    }

    func testADocumentHasAHeaderAndCRLFLines() {
        let entry = AuditEntry(
            id: 7, at: Date(timeIntervalSince1970: 1_800_000_000), event: .deviceRegistered, actor: "alice", deviceID: "bms-1",
            reason: "x,y")
        let text = AuditCSV.document([entry])
        let lines = text.components(separatedBy: "\r\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines[0], AuditCSV.header.joined(separator: ","))
        XCTAssertEqual(lines[1], "7,2027-01-15T08:00:00Z,device.registered,alice,,bms-1,,,\"x,y\",,,,")
        XCTAssertEqual(lines[2], "")
    }
}
