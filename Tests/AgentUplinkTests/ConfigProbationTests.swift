import XCTest

@testable import TunnelAgent

/// Last known good: a push proves itself by reaching the broker (and the BMS, when it was
/// answering at the push) within the grace, or is rolled back. Time is given.
final class ConfigProbationTests: XCTestCase {
    private func probation(at now: Double = 1_000, bms: Double? = nil, replacing: ConfigProbation? = nil) -> ConfigProbation {
        ConfigProbation.begin(
            file: "settings.json", hash: "h", now: now, grace: 120, lastBMSSentence: bms, previousSettings: "old",
            previousParams: nil, replacing: replacing)
    }

    func testABrokerConnectionWithinTheGraceProvesAPushWhenTheBMSWasSilent() {
        var running = probation()
        XCTAssertFalse(running.needsBMS)
        XCTAssertEqual(running.handle(.tick, now: 1_100), .waiting)
        XCTAssertEqual(running.handle(.brokerConnected, now: 1_110), .proven)
    }

    func testNoBrokerWithinTheGraceRollsBackWithTheReason() {
        var running = probation()
        XCTAssertEqual(running.handle(.tick, now: 1_119.9), .waiting)
        XCTAssertEqual(running.handle(.tick, now: 1_120), .rollBack(reason: "no MQTT connection to the broker within 120 s of the push"))
    }

    func testTheBMSMustAnswerAgainWhenItWasAnsweringAtThePush() {
        var running = probation(bms: 990)
        XCTAssertTrue(running.needsBMS)
        XCTAssertEqual(running.handle(.brokerConnected, now: 1_001), .waiting, "the broker alone is not enough")
        XCTAssertEqual(running.handle(.bmsAnswered(at: 995), now: 1_002), .waiting, "a sentence from before the push does not count")
        XCTAssertEqual(
            running.handle(.tick, now: 1_120),
            .rollBack(reason: "no valid sentence from the BMS within 120 s of the push (it was answering before)"))
        var answered = probation(bms: 990)
        _ = answered.handle(.brokerConnected, now: 1_001)
        XCTAssertEqual(answered.handle(.bmsAnswered(at: 1_005), now: 1_005), .proven)
        XCTAssertFalse(probation(bms: 1_000 - ConfigProbation.answeringWindow - 1).needsBMS, "a BMS silent for long is not awaited")
    }

    func testASecondPushKeepsTheLastConfigurationThatWorked() {
        let first = probation()
        let second = ConfigProbation.begin(
            file: "params_config.json", hash: "h2", now: 1_050, grace: 120, lastBMSSentence: nil, previousSettings: "pushed-first",
            previousParams: "p", replacing: first)
        XCTAssertEqual(second.previousSettings, "old")
        XCTAssertNil(second.previousParams, "there was no portal params file before the first push")
        XCTAssertEqual(second.deadline, 1_170)
    }

    func testTheProbationSurvivesARestartOnDisk() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("probation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let paths = AgentPaths(settings: folder.path + "/settings.json", params: folder.path + "/params.json", stateDirectory: folder.path)
        try ProbationStore(paths: paths).withProbation { $0 = self.probation() }
        let again = try ProbationStore(paths: paths).withProbation { $0 }
        XCTAssertEqual(again, probation(), "a new store (a restarted agent) reads the same probation")
        try ProbationStore(paths: paths).withProbation { $0 = nil }
        XCTAssertFalse(FileManager.default.fileExists(atPath: paths.probation))
    }
}
