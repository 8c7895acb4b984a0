import XCTest

@testable import AgentConfig

/// params_config.json: the manual's examples (seed 6.2), the shipped default, every problem
/// at once with its path.
final class ParamsConfigTests: XCTestCase {
    /// Every example of the manual's table in one file: the `inputs` params example verbatim,
    /// the row examples on the params they belong to, the routes example's first route, and
    /// the formats example's DEC, UHEX and COULMB with the meaning docs/CONFIGURATION.md gives.
    static let manualExamples = """
        {
          "comment": "Default EMUS RMS processing",
          "protocols": {
            "g1": {
              "request_period": 1,
              "formats": {
                "DEC": {"encoding": "DEC"},
                "UHEX": {"encoding": "HEX"},
                "COULMB": {"encoding": "HEX", "factor": 0.000277777777777778, "decimals": 2, "units": "Ah"},
                "STR": {"encoding": "STRING"}
              },
              "packets": {
                "TD1": {"params": {"Month": {"field": 2, "format": "DEC"}}},
                "VR1": {"params": {"serialNumber": {"field": 2, "format": "STR"}}},
                "ST1": {"params": {"balancingRatesValid": {"field": 5, "encoding": "HEX_DEC", "bit": 1, "big_end": true, "signed": false}}},
                "BC1": {"params": {"charge": {"field": 1, "format": "COULMB"}}}
              }
            },
            "can": {
              "packets": {
                "X19B50000": {
                  "id": "X19B50000", "dlc": 8, "range": 1, "request_period": 1,
                  "params": {
                    "inputs": {
                      "start": 0, "bits": 8, "big_end": true, "signed": false, "offset": 0, "factor": 1, "decimals": 0,
                      "units": "", "type": "FIXED", "packing": "SINGLE", "route_to_mqtt": "inputs"
                    }
                  }
                },
                "X19B50001": {
                  "params": {
                    "minVolt": {
                      "start": 0, "bits": 8, "offset": 200, "factor": 0.01, "decimals": 2, "units": "V", "type": "FIXED",
                      "send_invalid": true, "valid_bot": 2, "valid_top": 4, "route_to_mqtt": "minVolt"
                    },
                    "firstFour": {"start": 8, "bits": 8, "packing": "LIST", "pack_length": 4}
                  }
                },
                "X19B50400": {"dlc": 0}
              }
            },
            "mqtt": {}
          },
          "routes": [
            {"from": {"prot": "g1", "sentence": "TD1", "param": "Month"}, "to": {"prot": "mqtt", "param": "month"}}
          ]
        }
        """

    func testEveryExampleOfTheManualParses() throws {
        let check = ConfigFixtures.params(Self.manualExamples)
        XCTAssertEqual(check.report.problemLines, [])
        XCTAssertEqual(check.report.notices, [])
        let config = try XCTUnwrap(check.model)
        XCTAssertEqual(config.comment, "Default EMUS RMS processing")
        let g1 = try XCTUnwrap(config.protocols.g1)
        XCTAssertEqual(g1.requestPeriod, 1)
        XCTAssertEqual(g1.formats.map(\.name), ["DEC", "UHEX", "COULMB", "STR"])
        XCTAssertEqual(g1.packets.map(\.sentence), ["TD1", "VR1", "ST1", "BC1"])
        XCTAssertEqual(g1.packets[0].params[0].encoding, .dec, "taken from the DEC format")
        XCTAssertEqual(g1.packets[2].params[0].bit, 1)
        XCTAssertEqual(g1.packets[2].params[0].encoding, .hexDec)
        XCTAssertEqual(g1.packets[3].params[0].scaling, ParamScaling(factor: 0.000277777777777778, decimals: 2, units: "Ah"))
        let can = try XCTUnwrap(config.protocols.can)
        XCTAssertEqual(can.requestPeriod, 0.5, "the manual's default")
        XCTAssertEqual(
            can.packets.map(\.id),
            [
                CANPacketID(extended: true, value: 0x19B5_0000), .init(extended: true, value: 0x19B5_0001),
                .init(extended: true, value: 0x19B5_0400),
            ])
        XCTAssertEqual(can.packets[0].dlc, 8)
        XCTAssertEqual(can.packets[1].dlc, -1, "the manual's default")
        XCTAssertEqual(can.packets[2].dlc, 0)
        XCTAssertEqual(
            can.packets[0].params[0],
            .init(name: "inputs", start: 0, bits: 8, packing: .single, scaling: ParamScaling(decimals: 0, units: ""), routeToMQTT: "inputs")
        )
        XCTAssertEqual(
            can.packets[1].params[0],
            .init(
                name: "minVolt", scaling: ParamScaling(offset: 200, factor: 0.01, decimals: 2, units: "V"), validTop: 4, validBot: 2,
                sendInvalid: true, routeToMQTT: "minVolt"))
        XCTAssertEqual(can.packets[1].params[1].packLength, 4)
        XCTAssertEqual(
            config.routes, [.init(from: .init(prot: "g1", sentence: "TD1", param: "Month"), to: .init(prot: "mqtt", param: "month"))])
    }

    func testTheParamDefaultsAreTheManuals() throws {
        let config = try XCTUnwrap(
            ConfigFixtures.params(
                #"{"protocols": {"g1": {"packets": {"CV1": {"params": {"p": {}}}}}, "can": {"packets": {"S123": {"params": {"q": {}}}}}}}"#
            ).model)
        let g1 = try XCTUnwrap(config.protocols.g1?.packets.first?.params.first)
        XCTAssertEqual(
            g1,
            .init(
                name: "p", field: 1, encoding: .hex,
                scaling: ParamScaling(bigEndian: true, signed: false, offset: 0, factor: 1, decimals: -1, units: nil, type: .fixed)))
        let packet = try XCTUnwrap(config.protocols.can?.packets.first)
        XCTAssertEqual(packet.id, CANPacketID(extended: false, value: 0x123))
        XCTAssertEqual(packet.range, 1)
        XCTAssertEqual(packet.requestPeriod, nil)
        XCTAssertEqual(config.protocols.can?.requestPeriod, 0.5)
        XCTAssertEqual(
            packet.params.first,
            .init(name: "q", start: 0, bits: 8, packing: .single, packLength: 1, validTop: 0, validBot: 0, sendInvalid: false))
    }

    func testTheShippedDefaultParsesAndValidatesWithoutNotices() throws {
        let url = try XCTUnwrap(ParamsConfig.shippedDefaultURL)
        let check = ParamsConfig.check(path: url.path)
        XCTAssertEqual(check.report.problemLines, [])
        XCTAssertEqual(check.report.notices, [])
        let config = try XCTUnwrap(check.model)
        XCTAssertEqual(
            config.protocols.g1?.packets.map(\.sentence),
            ["CV1", "BV1", "BV2", "BT1", "BT2", "BT3", "BT4", "BB1", "BB2", "BC1", "ST1", "TD1", "VR1", "DT1", "CS1", "CG1"])
        XCTAssertEqual(
            config.protocols.can?.packets.map(\.id.description),
            [
                "X19B50000", "X19B50001", "X19B50002", "X19B50003", "X19B50007", "X19B50008", "X19B50100", "X19B50200", "X19B50300",
                "X19B50500",
                "X19B50600", "X19B50800",
            ])
        let deployed = try Data(contentsOf: ConfigFixtures.root.appendingPathComponent("deploy/agent/params_config.json"))
        XCTAssertEqual(try Data(contentsOf: url), deployed, "deploy/agent/params_config.json is a copy of the shipped default")
    }

    func testEveryProblemIsReportedWithItsPathWhatWasFoundAndWhatIsExpected() {
        let check = ConfigFixtures.params(
            """
            {
              "protocols": {
                "g1": {
                  "request_period": 0,
                  "formats": {"BAD": {"encoding": "BASE64", "factor": 0}},
                  "packets": {
                    "cv1": {"params": {"v": {"field": 0}}},
                    "BV2": {"params": {
                      "cells": {"field": 4, "encoding": "BYTES", "index_field": 4},
                      "flag": {"encoding": "STRING", "bit": 3},
                      "fmt": {"format": "NOPE"}}}
                  }
                },
                "can": {
                  "packets": {
                    "X19B50000": {"dlc": 9, "params": {
                      "minVolt": {"start": 60, "bits": 70},
                      "wide": {"start": 60, "bits": 8},
                      "range": {"valid_bot": 4, "valid_top": 2},
                      "listy": {"packing": "SINGLE", "pack_length": 4}}},
                    "again": {"id": "X19B50000"},
                    "Y123": {},
                    "X1FFFFFFF": {"range": 2},
                    "S7FF": {"request_period": -1}
                  }
                }
              },
              "routes": [
                {"from": {"prot": "g1", "sentence": "TD1", "param": "Month"}, "to": {"prot": "mqtt", "param": "month"}},
                {"from": {"prot": "can", "id": "X19B50000", "param": "maxVolt"}, "to": {"prot": "mqtt", "param": "x"}},
                {"from": {"prot": "modbus", "param": "p"}}
              ]
            }
            """)
        XCTAssertNil(check.model)
        let g1 = "$.protocols.g1"
        let can = "$.protocols.can.packets"
        XCTAssertEqual(
            check.report.problemLines,
            [
                "\(g1).request_period: found 0, expected a number of seconds > 0",
                "\(g1).formats.BAD.factor: found 0, expected a number other than 0",
                #"\#(g1).formats.BAD.encoding: found "BASE64", expected one of "HEX", "HEX_DEC", "DEC", "STRING", "BYTES""#,
                #"\#(g1).packets.cv1: found key "cv1" and no id, expected a G1 sentence name: two capital letters and a digit, for example "CV1", as the key or as id"#,
                "\(g1).packets.cv1.params.v.field: found 0, expected an integer from 1 to 255",
                "\(g1).packets.BV2.params.cells.index_field: found 4, the param's own field, expected another field than field 4",
                "\(g1).packets.BV2.params.flag.bit: found bit 3 with encoding STRING, expected no bit, or a HEX, HEX_DEC or DEC encoding",
                #"\#(g1).packets.BV2.params.fmt.format: found "NOPE", expected the name of a format in $.protocols.g1.formats (BAD)"#,
                "\(can).X19B50000.dlc: found 9, expected an integer from -1 to 8",
                "\(can).X19B50000.params.minVolt.bits: found 70, expected an integer from 1 to 64",
                "\(can).X19B50000.params.wide: found start 60 + bits 8 = 68, expected at most 64 bits: a CAN frame carries 8 bytes",
                "\(can).X19B50000.params.range.valid_bot: found 4 above valid_top 2, expected valid_bot ≤ valid_top",
                "\(can).X19B50000.params.listy.pack_length: found 4 with packing SINGLE, expected 1, or packing LIST or WORDS",
                #"\#(can).Y123: found key "Y123" and no id, expected \#(CANPacketID.expected), as the key or as id"#,
                "\(can).X1FFFFFFF.range: found 2 from X1FFFFFFF, expected at most 1, so that the last id fits in 29 bits",
                "\(can).S7FF.request_period: found -1, expected a number of seconds > 0",
                "\(can).again: found ids X19B50000, shared with packet X19B50000 (X19B50000), expected ids no other packet covers",
                #"$.routes[2].from.prot: found "modbus", expected one of "g1", "can", "mqtt""#,
                "$.routes[2].to: found nothing, expected an object with prot and param",
                #"$.routes[0].from.sentence: found "TD1", expected the sentence of a packet in $.protocols.g1.packets (cv1, BV2)"#,
                #"$.routes[1].from.param: found "maxVolt", expected a param of can packet X19B50000 (minVolt, wide, range, listy)"#,
            ])
    }

    func testFrameLimitsFollowTheDLCAndThePacking() {
        let check = ConfigFixtures.params(
            """
            {"protocols": {"can": {"packets": {"X100": {"dlc": 2, "params": {
              "fits": {"start": 8, "bits": 8},
              "late": {"start": 12, "bits": 8},
              "list": {"start": 16, "bits": 12, "packing": "LIST", "pack_length": 4},
              "words": {"bits": 24, "packing": "WORDS", "pack_length": 3},
              "scattered": {"bits": 8, "packing": "WORDS", "pack_length": 3, "word_starts": [0, 8]},
              "flags": {"bits": 4, "packing": "LIST", "pack_length": 2, "type": "BOOL"},
              "stray": {"word_starts": [0]}
            }}}}}}
            """)
        let path = "$.protocols.can.packets.X100.params"
        XCTAssertEqual(
            check.report.problemLines,
            [
                "\(path).late: found start 12 + bits 8 = 20, expected at most 16 bits: the packet's dlc is 2 bytes",
                "\(path).list: found start 16 + 4 × 12 bits = 64, expected at most 16 bits: the packet's dlc is 2 bytes",
                "\(path).words.bits: found 3 words of 24 bits, expected a WORDS value of at most 64 bits",
                "\(path).words: found start 0 + bits 24 = 24, expected at most 16 bits: the packet's dlc is 2 bytes",
                "\(path).words: found start 24 + bits 24 = 48, expected at most 16 bits: the packet's dlc is 2 bytes",
                "\(path).words: found start 48 + bits 24 = 72, expected at most 16 bits: the packet's dlc is 2 bytes",
                "\(path).scattered.pack_length: found 3 with 2 word_starts, expected as many words as word_starts lists",
                "\(path).flags.type: found BOOL with packing LIST, expected FIXED: a LIST is a list of numbers",
                "\(path).stray.word_starts: found word_starts with packing SINGLE, expected no word_starts, or packing WORDS",
            ])
    }

    func testUnknownAndMisplacedKeysAreNoticesNotProblems() throws {
        let check = ConfigFixtures.params(
            """
            {"protocols": {
               "g1": {"packets": {"CV1": {"params": {"v": {"field": 1, "start": 3, "colour": "red"}}}}},
               "can": {"packets": {"X1": {"params": {"p": {"field": 2}}}}},
               "modbus": {},
               "mqtt": {"topic": "v1/devices/me/telemetry"}},
             "routes": [{"from": {"prot": "g1", "sentence": "CV1", "param": "v"}, "to": {"prot": "can", "param": "x"}}],
             "version": 2}
            """)
        XCTAssertEqual(check.report.problemLines, [])
        XCTAssertEqual(
            check.report.notices.map(\.description),
            [
                "$.protocols.g1.packets.CV1.params.v.start: unknown key; a CAN param key, ignored in a G1 param",
                "$.protocols.g1.packets.CV1.params.v.colour: unknown key; ignored",
                "$.protocols.can.packets.X1.params.p.field: unknown key; a G1 param key, ignored in a CAN param",
                "$.protocols.mqtt.topic: unknown key; protocols.mqtt defines no keys in this build (telemetry keys come from route_to_mqtt and routes); ignored",
                "$.protocols.modbus: unknown key; not a protocol this build reads (g1, can, mqtt); ignored",
                "$.routes[0].to.prot: not supported by this build; this build routes to mqtt only; route ignored",
                "$.version: unknown key; ignored",
            ])
    }

    func testOverlappingIDRangesAreProblemsWhateverTheOrder() {
        let check = ConfigFixtures.params(
            """
            {"protocols": {"can": {"packets": {
              "X19B50110": {}, "cells": {"id": "X19B50100", "range": 32}, "S100": {"range": 16}, "X100": {"range": 16},
              "X19B50120": {}, "X19B5011F": {"range": 2}, "S10F": {}
            }}}}
            """)
        let can = "$.protocols.can.packets"
        XCTAssertEqual(
            check.report.problemLines,
            [
                "\(can).cells: found ids X19B50100 to X19B5011F, shared with packet X19B50110 (X19B50110), expected ids no other packet covers",
                "\(can).X19B5011F: found ids X19B5011F to X19B50120, shared with packet cells (X19B50100 to X19B5011F), expected ids no other packet covers",
                "\(can).X19B5011F: found ids X19B5011F to X19B50120, shared with packet X19B50120 (X19B50120), expected ids no other packet covers",
                "\(can).S10F: found ids S10F, shared with packet S100 (S100 to S10F), expected ids no other packet covers",
            ])
    }

    func testPacketKeysMayBeLabelsWithAnID() throws {
        let config = try XCTUnwrap(
            ConfigFixtures.params(
                """
                {"protocols": {"g1": {"packets": {"voltages": {"id": "BV1", "params": {}}}},
                               "can": {"packets": {"cells": {"id": "X19B50100", "range": 32}}}}}
                """
            ).model)
        XCTAssertEqual(config.protocols.g1?.packets.first?.sentence, "BV1")
        XCTAssertEqual(config.protocols.can?.packets.first?.id, CANPacketID(extended: true, value: 0x19B5_0100))
    }

    func testCANIDSyntax() {
        XCTAssertEqual(CANPacketID("X19B50000"), CANPacketID(extended: true, value: 0x19B5_0000))
        XCTAssertEqual(CANPacketID("S7FF"), CANPacketID(extended: false, value: 0x7FF))
        XCTAssertEqual(CANPacketID("x1f"), nil, "the kind letter is X or S")
        for text in ["X", "S", "X20000000", "X019B500000", "S800", "S0123", "X19B5000G", "Z19", "X-1", "X+1"] {
            XCTAssertNil(CANPacketID(text), text)
            XCTAssertFalse(text.wholeMatches(CANPacketID.pattern), "the schema's pattern agrees on \(text)")
        }
        for text in ["X0", "X1FFFFFFF", "X01FFFFFF", "Xabc", "S0", "S7ff", "S12"] {
            XCTAssertNotNil(CANPacketID(text), text)
            XCTAssertTrue(text.wholeMatches(CANPacketID.pattern), "the schema's pattern agrees on \(text)")
        }
        XCTAssertEqual(CANPacketID(extended: true, value: 0x100).description, "X00000100")
        XCTAssertEqual(CANPacketID(extended: false, value: 0x100).description, "S100")
    }
}
