import Foundation
import XCTest

@testable import TunnelAgent

final class CertificateRenewalRulesTests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let day: TimeInterval = 86_400

    func testRenewsOnlyInsideTheWindowAndOnceUntilAnswered() {
        var rules = CertificateRenewalRules(renewBeforeDays: 30)
        XCTAssertEqual(rules.check(notAfter: now + 31 * day, now: now), .none)
        XCTAssertEqual(rules.check(notAfter: now + 29 * day, now: now), .request(reason: "it expires within 30 days"))
        XCTAssertEqual(rules.check(notAfter: now + 29 * day, now: now + 10), .none, "one request in flight")
        XCTAssertEqual(rules.relayAsked("", now: now + 11), .none, "nor a second one because the relay asks")
        XCTAssertEqual(rules.answered(), .install)
        XCTAssertEqual(rules.answered(), .discard, "an answer without a request is dropped")
    }

    func testAnUnansweredRequestIsAbandonedAfterTheTimeoutAndSentAgain() {
        var rules = CertificateRenewalRules(renewBeforeDays: 30)
        let expiring = now + day
        XCTAssertNotEqual(rules.check(notAfter: expiring, now: now), .none)
        XCTAssertFalse(rules.abandonUnanswered(now: now + CertificateRenewalRules.answerTimeout))
        XCTAssertTrue(rules.abandonUnanswered(now: now + CertificateRenewalRules.answerTimeout + 1))
        XCTAssertEqual(rules.check(notAfter: expiring, now: now + 3_600), .request(reason: "it expires within 30 days"))
    }

    func testZeroDaysRenewsOnlyWhenTheRelayAsks() {
        var rules = CertificateRenewalRules(renewBeforeDays: 0)
        XCTAssertEqual(rules.check(notAfter: now + 1, now: now), .none)
        XCTAssertEqual(rules.relayAsked("requested by boss", now: now), .request(reason: "requested by boss"))
        rules.requestFailed()
        XCTAssertEqual(rules.relayAsked("", now: now), .request(reason: "the relay asked"), "a failed request leaves none in flight")
    }
}
