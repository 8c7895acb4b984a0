import BMSSimulator
import Foundation
import SharedWire
import XCTest

/// The simulator and the agent's G1 decoders agree: every reading the simulator sends decodes
/// into its typed reading with the values of the simulated pack.
final class SimulatorSpeaksTheDecodersTests: XCTestCase {
    func testEveryAnswerDecodesIntoItsTypedReading() throws {
        var bms = SimulatedBMS(now: Date(timeIntervalSince1970: 1_800_000_000))
        let names = ["CV1", "BV1", "BV2", "BT1", "BT2", "BT3", "BT4", "BB1", "BB2", "BC1", "ST1", "TD1", "VR1", "DT1", "CS1", "CG1"]
        for name in names {
            let reply = bms.receive(.request(name), now: Date(timeIntervalSince1970: 1_800_000_001))
            XCTAssertFalse(reply.sentences.isEmpty, "\(name) is answered")
            for sentence in reply.sentences {
                let line = try G1Sentence(line: String(sentence.line.dropLast()))  // CRC checked
                let reading = try G1Reading(line)
                if case .other = reading { XCTFail("\(name): no typed reading") }
            }
        }
        let parameter = bms.receive(G1Sentence(name: "CF2", fields: ["0001", "?"]), now: Date(timeIntervalSince1970: 1_800_000_002))
        if let answer = parameter.sentences.first {
            XCTAssertNotNil(try? G1ConfigurationParameter(answer), "\(answer)")
        }
    }

    func testSummaryValuesMatchThePerCellLines() throws {
        var bms = SimulatedBMS(now: Date(timeIntervalSince1970: 1_800_000_000))
        let at = Date(timeIntervalSince1970: 1_800_000_001)
        guard case .cellVoltages(let summary) = try G1Reading(bms.receive(.request("BV1"), now: at).sentences[0]) else {
            return XCTFail("BV1 decodes as a cell voltage summary")
        }
        var cells: [Double] = []
        for sentence in bms.receive(.request("BV2"), now: at).sentences {
            guard case .cellGroup(let group) = try G1Reading(sentence) else { return XCTFail() }
            XCTAssertEqual(group.firstCell, cells.count + 1, "groups come in order")
            cells += group.values
        }
        XCTAssertEqual(cells.count, summary.cellCount)
        XCTAssertEqual(cells.min()!, summary.minimum!, accuracy: 0.0001)
        XCTAssertEqual(cells.max()!, summary.maximum!, accuracy: 0.0001)
    }
}
