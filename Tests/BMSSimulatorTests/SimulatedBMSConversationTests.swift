import Foundation
import SharedWire
import XCTest

@testable import BMSSimulator

/// A Control Panel conversation scripted against the `SimulatedBMS` state machine, time given.
final class SimulatedBMSConversationTests: XCTestCase {
    private let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01 00:00 UTC

    private func bms(cells: Int = 20, strings: Int = 1, password: String? = nil, profile: CurrentProfile = .constant(-12.5)) -> SimulatedBMS
    {
        SimulatedBMS(
            pack: SimulatedPack(configuration: PackConfiguration(cellsPerString: cells, strings: strings, profile: profile)),
            password: password, now: start)
    }

    /// Sends `name,fields` as a full line (CRC and all, parsed back as the BMS's port would)
    /// at `seconds` after start; returns the answer lines parsed, checking each line's CRC.
    private func send(
        _ bms: inout SimulatedBMS, _ name: String, _ fields: [String] = ["?"], at seconds: Double = 1,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> (BMSReply.Outcome, [G1Sentence]) {
        let request = try G1Sentence(line: String(G1Sentence(name: name, fields: fields).line.dropLast()))
        let reply = bms.receive(request, now: start.addingTimeInterval(seconds))
        let answers = try reply.sentences.map { try G1Sentence(line: String($0.line.dropLast())) }
        return (reply.outcome, answers)
    }

    func testControlPanelSession() throws {
        var bms = bms(password: "1234")

        // Read the version.
        let (_, version) = try send(&bms, "VR1")
        XCTAssertEqual(version, [G1Sentence(name: "VR1", fields: ["G1CU", "SIM00001", "2.4.1"])])

        // Poll the summaries: one line each, with the reference's field counts.
        let fieldCounts = [
            "CV1": 10, "BV1": 6, "BT1": 5, "BT3": 5, "BB1": 6, "BC1": 3, "ST1": 8, "CS1": 6, "CG1": 3, "DT1": 12,
            "IN1": 1, "OT1": 1, "TD1": 7,
        ]
        for (name, count) in fieldCounts {
            let (outcome, lines) = try send(&bms, name)
            XCTAssertEqual(outcome, .answered)
            XCTAssertEqual(lines.map(\.name), [name])
            XCTAssertEqual(lines.first?.fields.count, count, name)
        }
        let bv1 = try send(&bms, "BV1").1[0]
        XCTAssertEqual(bv1.fields[0], "14", "20 cells")
        let cv1 = try send(&bms, "CV1").1[0]
        XCTAssertEqual(cv1.fields[1], "FF83", "-12.5 A as signed 16-bit hex × 0.1 A")
        XCTAssertEqual(cv1.fields[0], bv1.fields[4], "CV1 and BV1 agree on the total voltage")

        // Read every per-cell line: three groups (8, 8, 4) for 20 cells.
        for name in ["BV2", "BT2", "BT4", "BB2"] {
            let lines = try send(&bms, name).1
            XCTAssertEqual(lines.map { $0.fields[1] }, ["0001", "0009", "0011"], name)
            XCTAssertEqual(lines.map { $0.fields[2] }, ["8", "8", "4"])
            XCTAssertEqual(lines.map { $0.fields[3].count }, [16, 16, 8])
        }
        let voltages = try send(&bms, "BV2").1.flatMap { line in
            stride(from: 0, to: line.fields[3].count, by: 2).map { offset -> Double in
                let digits = line.fields[3].dropFirst(offset).prefix(2)
                return (Double(Int(digits, radix: 16)!) + 200) * 0.01
            }
        }
        for (reported, actual) in zip(voltages, bms.pack.cellVoltages) { XCTAssertEqual(reported, actual, accuracy: 0.006) }

        // A write before login is refused; so is a wrong password.
        XCTAssertEqual(try send(&bms, "CF2", ["0010", "0136"]).1, [G1Sentence(name: "CF2", fields: ["ERR", "LOGIN"])])
        XCTAssertEqual(try send(&bms, "PW1", ["0000"]).1, [G1Sentence(name: "PW1", fields: ["ERR", "PASSWORD"])])
        XCTAssertEqual(try send(&bms, "CF2", ["0010", "?"]).1, [G1Sentence(name: "CF2", fields: ["0010", "012C"])], "reads need no login")

        // Log in, write a parameter, read it back.
        XCTAssertEqual(try send(&bms, "PW1", ["1234"]).1, [G1Sentence(name: "PW1", fields: ["1"])])
        let (outcome, written) = try send(&bms, "CF2", ["10", "136"])
        XCTAssertEqual(outcome, .applied)
        XCTAssertEqual(written, [G1Sentence(name: "CF2", fields: ["0010", "0136"])], "echo of the value now in effect")
        XCTAssertEqual(try send(&bms, "CF2", ["0010", "?"]).1, [G1Sentence(name: "CF2", fields: ["0010", "0136"])])
        XCTAssertEqual(bms.pack.limits.underVoltage, 3.10, "the write reaches the pack model")

        // Log out: writes are refused again and the value stays.
        XCTAssertEqual(try send(&bms, "PW1", [""]).1, [G1Sentence(name: "PW1", fields: ["0"])])
        XCTAssertEqual(try send(&bms, "CF2", ["0010", "012C"]).0, .refused)
        XCTAssertEqual(try send(&bms, "CF2", ["0010", "?"]).1[0].fields[1], "0136")
    }

    func testPasswordIsSetAndCleared() throws {
        var bms = bms()
        XCTAssertEqual(try send(&bms, "CF2", ["0011", "01A4"]).0, .applied, "no password: writes are open")
        XCTAssertEqual(try send(&bms, "PW2", ["abc"]).1, [G1Sentence(name: "PW2", fields: ["1"])])
        XCTAssertEqual(try send(&bms, "PW1", [""]).1[0].fields, ["0"])
        XCTAssertEqual(try send(&bms, "PW2", [""]).1, [G1Sentence(name: "PW2", fields: ["ERR", "LOGIN"])], "clearing needs a login too")
        XCTAssertEqual(try send(&bms, "PW1", ["abc"]).1[0].fields, ["1"])
        XCTAssertEqual(try send(&bms, "PW2", [""]).1, [G1Sentence(name: "PW2", fields: ["0"])])
        XCTAssertNil(bms.password)
        XCTAssertEqual(try send(&bms, "PW2", ["not ok!"]).1[0].fields, ["ERR", "FORMAT"])
    }

    func testCommandsChangeTheBMS() throws {
        var bms = bms()
        XCTAssertEqual(try send(&bms, "SC1", ["1388"]).1, [G1Sentence(name: "SC1", fields: ["1388"])])
        XCTAssertEqual(try send(&bms, "BC1", at: 1).1[0].fields[2], "1388", "50.00 % reads back in BC1")

        XCTAssertEqual(try send(&bms, "CF2", ["0020", "0064"]).0, .applied)
        XCTAssertEqual(try send(&bms, "FD1", []).1, [G1Sentence(name: "FD1", fields: [])])
        XCTAssertEqual(try send(&bms, "CF2", ["0020", "?"]).1[0].fields[1], "07D0", "factory default 200.0 A")

        XCTAssertEqual(try send(&bms, "TD1", at: 100).1[0].fields[6], "00000064", "100 s of uptime")
        XCTAssertEqual(try send(&bms, "RS1", [], at: 100).0, .applied)
        XCTAssertEqual(try send(&bms, "TD1", at: 130).1[0].fields[6], "0000001E", "uptime restarts at the reset")
        XCTAssertEqual(try send(&bms, "RS2", at: 130).1.map { $0.fields[2] }, ["01", "02"], "power-on, then the RS1 reset")

        XCTAssertEqual(try send(&bms, "RC1", [], at: 130).0, .applied)
        XCTAssertEqual(
            try send(&bms, "TD1", ["2030", "06", "15", "12", "30", "00"], at: 130).1[0].fields.prefix(6),
            ["2030", "06", "15", "12", "30", "00"])
        XCTAssertEqual(try send(&bms, "TD1", at: 140).1[0].fields[5], "10", "the set clock runs on")

        XCTAssertGreaterThan(try send(&bms, "LG1", at: 140).1.count, 3)
        XCTAssertEqual(try send(&bms, "LG1", ["c"], at: 140).1, [G1Sentence(name: "LG1", fields: ["c"])])
        XCTAssertEqual(try send(&bms, "LG1", at: 140).1, [G1Sentence(name: "LG1", fields: ["00", "00", "", "", ""])])

        let before = try send(&bms, "SS1", at: 3700).1
        XCTAssertEqual(before.count, PackStatistics.Statistic.allCases.count)
        XCTAssertEqual(before[6].fields[1], "00000080", "12.8 Ah discharged (0.1 Ah) after 3700 s at 12.5 A")
        XCTAssertEqual(try send(&bms, "SS1", ["c"], at: 3700).0, .applied)
        XCTAssertEqual(try send(&bms, "SS1", at: 3700).1[6].fields[1], "00000000")
    }

    func testRefusalsNameTheReason() throws {
        var bms = bms()
        let cases: [(String, [String], String)] = [
            ("CF2", ["0099", "0001"], "ID"), ("CF2", ["0099", "?"], "ID"), ("CF2", ["0001", "0010"], "READONLY"),
            ("CF2", ["0010", "0001"], "RANGE"), ("CF2", ["0010", "xyz"], "FORMAT"), ("SC1", ["2711"], "RANGE"),
            ("SC1", ["?"], "FORMAT"), ("TD1", ["2030", "13", "40", "0", "0", "0"], "FORMAT"), ("TC1", ["01"], "UNSUPPORTED"),
            ("OT1", ["01"], "UNSUPPORTED"), ("CS2", ["?"], "UNSUPPORTED"), ("SS1", ["x"], "FORMAT"),
        ]
        for (name, fields, reason) in cases {
            XCTAssertEqual(try send(&bms, name, fields).1, [G1Sentence(name: name, fields: ["ERR", reason])], "\(name) \(fields)")
        }
    }

    func testUnknownSentencesAreIgnored() throws {
        var bms = bms()
        for (name, fields) in [("XX1", ["?"]), ("BV1", []), ("BV1", ["1"]), ("CN1", ["?"]), ("PW9", ["1"])] {
            let (outcome, lines) = try send(&bms, name, fields)
            XCTAssertEqual(outcome, .ignored, "\(name) \(fields)")
            XCTAssertEqual(lines, [])
        }
    }

    func testPerCellLinesGoStringByString() throws {
        var bms = bms(cells: 10, strings: 2)
        let lines = try send(&bms, "BV2").1
        XCTAssertEqual(
            lines.map { Array($0.fields.prefix(3)) },
            [["00", "0001", "8"], ["00", "0009", "2"], ["01", "0001", "8"], ["01", "0009", "2"]])
        XCTAssertEqual(try send(&bms, "CG1").1[0].fields, ["01", "0A", "01", "0A", "01"], "sensor OK, then (cells, OK) per string")
        XCTAssertEqual(try send(&bms, "BV1").1[0].fields[0], "14", "20 cells in all")
    }

    func testEventLogAndStatusFollowTheProtections() throws {
        var bms = bms(profile: .constant(-300))
        let st1 = try send(&bms, "ST1", at: 10).1[0]
        XCTAssertEqual(st1.fields[5], "0004", "discharge over-current (bit 2)")
        XCTAssertEqual(st1.fields[6], "02", "high-current power reduction (bit 1)")
        let log = try send(&bms, "LG1", at: 10).1.map { Array($0.fields[2...3]) }
        XCTAssertTrue(log.contains(["20", "0002"]), "protection bit 2 tripped: \(log)")
    }

    func testBroadcastsAreSpreadOverThePeriod() {
        var schedule = BroadcastSchedule(periods: SimulatorConfiguration.broadcastPeriods(every: 0.9).merging(["CV1": 0.3]) { $1 })
        var sent: [String] = []
        for hundredth in 1...272 {
            let time = Double(hundredth) / 100
            let due = schedule.take(at: time)
            XCTAssertLessThanOrEqual(due.count, 2, "no bursts at \(time)")
            sent += due
        }
        XCTAssertEqual(sent.filter { $0 == "CV1" }.count, 9, "every 0.3 s")
        XCTAssertEqual(sent.filter { $0 == "ST1" }.count, 3, "every 0.9 s")
        XCTAssertEqual(Set(sent), Set(SimulatedBMS.broadcastNames))
        XCTAssertNil(BroadcastSchedule(periods: ["CV1": 0]).nextDue, "0 turns a broadcast off")
    }

    func testCANAnswersRequestsFromTheSameState() throws {
        var bms = bms()
        bms.advance(to: start.addingTimeInterval(5))
        let builder = try G1CANMessageBuilder()
        let frames = bms.canFrames(builder)
        XCTAssertEqual(frames.count, 8 + 4 * 3, "8 summaries and 3 groups of each per-cell message for 20 cells")
        let voltage = try XCTUnwrap(frames.first { $0.id == 0x19B5_0001 })
        let total = UInt32(voltage.data[5]) << 24 | UInt32(voltage.data[6]) << 16 | UInt32(voltage.data[3]) << 8 | UInt32(voltage.data[4])
        XCTAssertEqual(G1Field.hex(Int(total), width: 8), try send(&bms, "CV1", at: 5).1[0].fields[0], "CAN and G1 agree")

        XCTAssertEqual(bms.canAnswer(to: builder.request(.batteryVoltage), builder), [voltage])
        XCTAssertEqual(
            bms.canAnswer(to: try CANFrame(remoteID: 0x19B5_0102, extended: true, length: 4), builder),
            [frames.first { $0.id == 0x19B5_0102 }!])
        XCTAssertEqual(
            bms.canAnswer(to: try CANFrame(id: 0x19B5_0400, extended: true, data: [0x00, 0x10, 0x02]), builder),
            [builder.configurationParameter(id: 0x10, size: 2, value: 0x12C)])
        XCTAssertEqual(bms.canAnswer(to: try CANFrame(id: 0x19B5_0001, extended: true, data: [1]), builder), [], "not a request")
        XCTAssertEqual(bms.canAnswer(to: try CANFrame(id: 0x001, extended: false, data: []), builder), [])
    }

    func testSLCANAdapterCommands() throws {
        var adapter = SimulatedSLCANAdapter()
        let frame = try CANFrame(id: 0x19B5_0500, extended: true, data: [])
        let answer = try CANFrame(id: 0x19B5_0500, extended: true, data: [1])
        let respond: (CANFrame) -> [CANFrame] = { $0 == frame ? [answer] : [] }
        XCTAssertEqual(adapter.receive(.message(.open), answering: respond), [.error], "no bit rate yet")
        XCTAssertEqual(adapter.receive(.message(.frame(frame)), answering: respond), [.error], "closed")
        XCTAssertEqual(adapter.receive(.message(.setBitRate(.kbit250)), answering: respond), [.ok])
        XCTAssertEqual(adapter.receive(.message(.open), answering: respond), [.ok])
        XCTAssertEqual(adapter.state, .open(.kbit250))
        XCTAssertEqual(adapter.receive(.message(.setBitRate(.kbit500)), answering: respond), [.error], "not while open")
        XCTAssertEqual(adapter.receive(.message(.frame(frame)), answering: respond), [.ok, .frame(answer)])
        XCTAssertEqual(adapter.receive(.invalid(.malformed(line: "x", reason: "")), answering: respond), [.error])
        XCTAssertEqual(adapter.receive(.message(.ok), answering: respond), [], "empty lines flush")
        XCTAssertEqual(adapter.receive(.message(.close), answering: respond), [.ok])
        XCTAssertEqual(adapter.receive(.message(.close), answering: respond), [.error])
        XCTAssertFalse(adapter.isOpen)
    }
}

/// Writes whose numbers do not fit: refused, never a trap.
final class SimulatedBMSHostileWriteTests: XCTestCase {
    func testHugeNumbersInWritesAreRefused() throws {
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        var bms = SimulatedBMS(pack: SimulatedPack(configuration: PackConfiguration(cellsPerString: 4, strings: 1)), now: start)
        let writes: [G1Sentence] = [
            G1Sentence(name: "TD1", fields: ["999999999999999", "01", "01", "00", "00", "00"]),
            G1Sentence(name: "TD1", fields: ["-999999999999999", "01", "01", "00", "00", "00"]),
            G1Sentence(name: "TD1", fields: ["2030", "01", "01", "00", "00", "9223372036854775807"]),
            G1Sentence(name: "CF2", fields: ["FFFFFFFFFFFFFFFF", "0001"]),
            G1Sentence(name: "CF2", fields: ["0020", "FFFFFFFFFFFFFFFF"]),
            G1Sentence(name: "SC1", fields: ["FFFFFFFFFFFFFFFF"]),
        ]
        for write in writes {
            let reply = bms.receive(write, now: start.addingTimeInterval(1))
            guard case .refused = reply.outcome else { return XCTFail("\(write) was not refused: \(reply.outcome)") }
            // The simulator still answers readings afterwards.
            let clock = bms.receive(G1Sentence(name: "TD1", fields: ["?"]), now: start.addingTimeInterval(2))
            XCTAssertEqual(clock.sentences.first?.fields.count, 7, "\(write)")
            XCTAssertEqual(clock.sentences.first?.fields.first, "2026", "\(write) left the clock alone")
        }
    }
}
