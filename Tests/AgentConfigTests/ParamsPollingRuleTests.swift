import SharedWire
import XCTest

@testable import AgentConfig

/// The poller sends only sentences that read state: a params_config.json (local, pushed or
/// given to `check-config`) whose packet would make it send a sentence that changes the BMS,
/// or one the G1 reference does not know, is refused with the packet's JSON path.
final class ParamsPollingRuleTests: XCTestCase {
    func testPacketsThatWouldChangeTheBMSAreProblemsWithTheirPaths() {
        let check = ConfigFixtures.params(
            """
            {"protocols": {"g1": {"packets": {
              "CV1": {"params": {"v": {"field": 1, "route_to_mqtt": "v"}}},
              "FD1": {}, "RS1": {"request_period": 0.5},
              "zero": {"id": "RC1"}, "cf": {"id": "CF2"}, "XY9": {}
            }}}}
            """)
        XCTAssertNil(check.model)
        let packets = "$.protocols.g1.packets"
        let expected = ParamsConfig.pollingExpected
        XCTAssertEqual(
            check.report.problemLines,
            [
                "\(packets).FD1: found sentence FD1 (its request changes the BMS's state), expected \(expected)",
                "\(packets).RS1: found sentence RS1 (its request changes the BMS's state), expected \(expected)",
                "\(packets).zero.id: found \"RC1\" (its request changes the BMS's state), expected \(expected)",
                "\(packets).cf.id: found \"CF2\" (its request changes the BMS's state), expected \(expected)",
                "\(packets).XY9: found sentence XY9 (not a sentence of the G1 reference), expected \(expected)",
            ])
        XCTAssertTrue(expected.contains("control session"), "the problem says who may send them")
    }

    func testEveryReadingSentenceMayBePolledAndTheRuleIsTheMonitorSessions() throws {
        for name in G1Catalogue.knownNames.sorted() {
            let check = ConfigFixtures.params(#"{"protocols": {"g1": {"packets": {"\#(name)": {}}}}}"#)
            XCTAssertEqual(
                check.model != nil, G1Catalogue.isAllowedInMonitorSession(.request(name)),
                "\(name): polling allowed exactly when a monitor session may send its request")
        }
        XCTAssertNotNil(try ConfigFixtures.shippedParams(), "the shipped file polls reads only")
    }
}
