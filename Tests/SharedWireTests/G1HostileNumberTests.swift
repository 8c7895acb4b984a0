import NIOCore
import SharedWire
import XCTest

/// Numbers a BMS (or anything on its serial line) may put in a sentence that do not fit the
/// reading: each is refused with an error naming the sentence and field, never a trap.
/// Each line here crashed the decoder once (`Int(UInt64)` above `Int.max`).
final class G1HostileNumberTests: XCTestCase {
    /// Every line, with a valid CRC, that used to trap in `G1Reading`.
    static let crashingLines: [(line: String, field: Int)] = [
        (G1Sentence(name: "BV2", fields: ["FFFFFFFFFFFFFFFF", "01", "1", "BF"]).line, 1),
        (G1Sentence(name: "BT2", fields: ["00", "8000000000000000", "1", "BF"]).line, 2),
        (G1Sentence(name: "BB2", fields: ["00", "01", "FFFFFFFFFFFFFFFF", "BF"]).line, 3),
        (G1Sentence(name: "CG1", fields: ["FFFFFFFFFFFFFFFF", "08", "01"]).line, 1),
        (G1Sentence(name: "CG1", fields: ["01", "FFFFFFFFFFFFFFFF", "01"]).line, 2),
        (G1Sentence(name: "CG1", fields: ["01", "08", "FFFFFFFFFFFFFFFF"]).line, 3),
        (G1Sentence(name: "CS1", fields: ["FFFFFFFFFFFFFFFF", "00", "0000", "0000", "0000", "0000"]).line, 1),
        (G1Sentence(name: "CS1", fields: ["01", "FFFFFFFFFFFFFFFF", "0000", "0000", "0000", "0000"]).line, 2),
        (G1Sentence(name: "ST1", fields: ["FFFFFFFFFFFFFFFF", "00", "00", "0000", "00", "0000", "00", "00"]).line, 1),
        (G1Sentence(name: "ST1", fields: ["01", "FFFFFFFFFFFFFFFF", "00", "0000", "00", "0000", "00", "00"]).line, 2),
        (G1Sentence(name: "ST1", fields: ["01", "00", "FFFFFFFFFFFFFFFF", "0000", "00", "0000", "00", "00"]).line, 3),
        (G1Sentence(name: "ST1", fields: ["01", "00", "00", "FFFFFFFFFFFFFFFF", "00", "0000", "00", "00"]).line, 4),
        // Found by FuzzG1 in CI's 10 s run: the summaries' cell and sensor counts.
        (G1Sentence(name: "BB1", fields: ["FFfFFFFFFFfFFFFF", "00F", "FF", "0"]).line, 1),
        (G1Sentence(name: "BV1", fields: ["FFFFFFFFFFFFFFFF", "00", "00", "00", "0000"]).line, 1),
        (G1Sentence(name: "BT1", fields: ["8000000000000000", "00", "00", "00"]).line, 1),
        (G1Sentence(name: "BT3", fields: ["FFFFFFFFFFFFFFFF", "00", "00", "00"]).line, 1),
    ]

    func testHugeHexNumbersAreRefusedNamingTheField() throws {
        for (line, field) in Self.crashingLines {
            var decoder = G1LineDecoder()
            var buffer = ByteBuffer(string: line)
            guard case .sentence(let sentence)? = try decoder.decode(buffer: &buffer) else {
                return XCTFail("\(line) is not a CRC-valid sentence")
            }
            XCTAssertThrowsError(try G1Reading(sentence), line) { error in
                guard let error = error as? G1FieldError else { return XCTFail("\(line): \(error)") }
                XCTAssertEqual(error.sentence, sentence.name, line)
                XCTAssertEqual(error.field, field, "\(line): \(error)")
                XCTAssertTrue(error.description.contains("at most"), error.description)
            }
        }
    }

    func testLargestAcceptedNumbersStillDecode() throws {
        let group = try G1CellGroup(G1Sentence(name: "BV2", fields: ["FF", "FFFF", "1", "BF"]))
        XCTAssertEqual(group.firstCell, 0xFFFF)
        XCTAssertEqual(group.string, 0xFF)
        let status = try G1Status(G1Sentence(name: "ST1", fields: ["01", "00", "00", "FFFFFFFF", "00", "0000", "00", "00"]))
        XCTAssertEqual(status.stageDuration, 0xFFFF_FFFF)
    }
}
