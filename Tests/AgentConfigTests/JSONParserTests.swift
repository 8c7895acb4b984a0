import XCTest

@testable import AgentConfig

/// The strict JSON reader behind the configuration check.
final class JSONParserTests: XCTestCase {
    private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    func testKeepsMemberOrderAndDuplicates() throws {
        guard case .object(let members) = try parse(#"{"b": 1, "a": [true, null, "x"], "b": 2}"#) else { return XCTFail() }
        XCTAssertEqual(members.map(\.key), ["b", "a", "b"])
        XCTAssertEqual(members[1].value, .array([.bool(true), .null, .string("x")]))
        XCTAssertEqual(members[2].value, .number(2))
    }

    func testStringsNumbersAndEscapes() throws {
        XCTAssertEqual(try parse(#""A\u00e9\ud83d\ude00\n\"""#), .string("Aé😀\n\""))
        XCTAssertEqual(try parse("-12.5e1"), .number(-125))
        XCTAssertEqual(try parse(" 0 "), .number(0))
    }

    func testRejectsWhatStrictJSONRejects() {
        let cases: [(String, String)] = [
            ("[1,]", "a value"), ("{\"a\":1,}", "a key in double quotes"), ("01", "the end of the text"),
            ("[1 2]", "\",\" or \"]\""), ("\"tab\there\"", "an escape such as \\n instead of a control character"),
            ("{'a': 1}", "a key in double quotes"), ("[1.]", "a digit"), ("", "a value"), ("NaN", "a value"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertEqual((error as? JSONSyntaxError)?.expected, expected, text)
            }
        }
    }

    func testPositionIsLineAndColumnOfTheOffendingByte() {
        XCTAssertThrowsError(try parse("{\n  \"a\": 1,\n  }")) { error in
            XCTAssertEqual(
                error as? JSONSyntaxError, JSONSyntaxError(line: 3, column: 3, found: "\"}\"", expected: "a key in double quotes"))
        }
    }

    func testNestingIsBounded() {
        let deep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        XCTAssertThrowsError(try parse(deep))
        let fine = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        XCTAssertNoThrow(try parse(fine))
    }
}
