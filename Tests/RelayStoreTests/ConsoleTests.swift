import Foundation
import XCTest

@testable import TunnelRelay

/// The console's rules that are plain logic: session expiry, the anti-forgery check, the
/// sign-in limiter, passwords, and escaping in rendered pages.
final class ConsoleTests: XCTestCase {
    private let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    private func session(createdAt: Date, lastUsedAt: Date) -> ConsoleSessionRecord {
        ConsoleSessionRecord(tokenHash: [1], userID: "u", csrfToken: "c", createdAt: createdAt, lastUsedAt: lastUsedAt)
    }

    func testASessionExpiresWhenIdleOrTooOld() {
        let fresh = session(createdAt: t0, lastUsedAt: t0)
        XCTAssertEqual(ConsoleSessionPolicy.verdict(for: fresh, now: t0.addingTimeInterval(10)), .valid(touch: false))
        XCTAssertEqual(ConsoleSessionPolicy.verdict(for: fresh, now: t0.addingTimeInterval(61)), .valid(touch: true))
        XCTAssertEqual(ConsoleSessionPolicy.verdict(for: fresh, now: t0.addingTimeInterval(29 * 60)), .valid(touch: true))
        XCTAssertEqual(ConsoleSessionPolicy.verdict(for: fresh, now: t0.addingTimeInterval(30 * 60)), .expired, "idle 30 minutes")
        // Used a minute ago, but signed in 12 hours ago: over, however busy.
        let busy = session(createdAt: t0, lastUsedAt: t0.addingTimeInterval(12 * 3600 - 60))
        XCTAssertEqual(ConsoleSessionPolicy.verdict(for: busy, now: t0.addingTimeInterval(12 * 3600 - 1)), .valid(touch: false))
        XCTAssertEqual(ConsoleSessionPolicy.verdict(for: busy, now: t0.addingTimeInterval(12 * 3600)), .expired)
    }

    func testTheCookieIsHttpOnlySecureStrictAndScoped() {
        let cookie = ConsoleSessionPolicy.cookie(token: "abc")
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
            XCTAssertTrue(cookie.contains("; \(attribute)"), "\(attribute) in \(cookie)")
        }
        XCTAssertTrue(ConsoleSessionPolicy.clearingCookie.contains("Max-Age=0"))
    }

    func testTheAntiForgeryTokenMustMatchExactly() {
        let token = ConsoleToken.random()
        XCTAssertTrue(ConsoleToken.csrfMatches(expected: token, presented: token))
        XCTAssertFalse(ConsoleToken.csrfMatches(expected: token, presented: nil))
        XCTAssertFalse(ConsoleToken.csrfMatches(expected: token, presented: ""))
        XCTAssertFalse(ConsoleToken.csrfMatches(expected: token, presented: String(token.dropLast())))
        XCTAssertFalse(ConsoleToken.csrfMatches(expected: token, presented: String(token.dropLast()) + "x"))
        XCTAssertFalse(ConsoleToken.csrfMatches(expected: "", presented: ""))
    }

    func testTokensAre256RandomBitsAndStoredHashed() {
        let a = ConsoleToken.random()
        let b = ConsoleToken.random()
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a.count, 43, "32 bytes as unpadded base64url")
        XCTAssertTrue(a.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        XCTAssertEqual(ConsoleToken.hash(a).count, 32)
        XCTAssertEqual(ConsoleToken.hash(a), ConsoleToken.hash(a))
    }

    func testTheLimiterRefusesTheSixthFailureInAMinuteAndSaysHowLong() {
        var limiter = SignInLimiter()
        let keys = [SignInLimiter.addressKey("192.0.2.1"), SignInLimiter.userKey("Alice")]
        for second in 0..<5 {
            XCTAssertNil(limiter.wait(for: keys, now: t0.addingTimeInterval(Double(second))))
            limiter.failed(keys, now: t0.addingTimeInterval(Double(second)))
        }
        let wait = limiter.wait(for: keys, now: t0.addingTimeInterval(10))
        XCTAssertEqual(wait ?? 0, 50, accuracy: 0.001, "until the first failure is a minute old")
        // The same user from another address is refused too; another user from elsewhere is not.
        XCTAssertNotNil(limiter.wait(for: [SignInLimiter.addressKey("198.51.100.9"), SignInLimiter.userKey("alice")], now: t0 + 10))
        XCTAssertNil(limiter.wait(for: [SignInLimiter.addressKey("198.51.100.9"), SignInLimiter.userKey("bob")], now: t0 + 10))
        XCTAssertNil(limiter.wait(for: keys, now: t0.addingTimeInterval(61)), "a minute later the first failure has left the window")
    }

    func testPasswordsShorterThanTwelveAreRefusedAndCheckTakesMeasuredTime() throws {
        XCTAssertThrowsError(try PasswordPolicy.hash("short-pass1")) { error in
            XCTAssertTrue("\(error)".contains("at least 12"), "\(error)")
        }
        let hash = try PasswordPolicy.hash("correct horse battery")
        XCTAssertTrue(hash.hasPrefix("$2b$12$") || hash.hasPrefix("$2a$12$") || hash.hasPrefix("$2y$12$"), hash)
        let started = ContinuousClock.now
        XCTAssertTrue(PasswordPolicy.verify("correct horse battery", hash: hash))
        let elapsed = ContinuousClock.now - started
        print("bcrypt cost \(PasswordPolicy.bcryptCost): one check took \(elapsed)")
        XCTAssertFalse(PasswordPolicy.verify("correct horse battery!", hash: hash))
    }

    func testACustomerNamedScriptIsRenderedAsText() throws {
        let pages = try ConsolePages()
        let name = "<script>alert(1)</script>"
        let html = pages.render(
            "fleet",
            [
                "title": "Fleet", "rows": [["id": "bms-1", "customer": "acme", "customerName": name + " a&b", "presence": "online"]],
                "total": 1, "page": 1,
                "pageCount": 1, "user": ["id": "\"><img src=x onerror=alert(2)>", "role": "admin"], "csrf": "t",
            ])
        XCTAssertFalse(html.contains(name))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("a&amp;b"))
        XCTAssertFalse(html.contains("<img src=x"))
        XCTAssertFalse(html.contains("style="), "no inline style: the policy forbids it")
        XCTAssertFalse(html.contains("<script>"), "no inline script: the only script is the asset")
    }

    func testAssetsAreServedUnderAContentHash() {
        let assets = ConsoleAssets()
        XCTAssertEqual(assets.byName.count, 2)
        XCTAssertTrue(assets.stylesheetPath.hasPrefix("/console/assets/console."))
        XCTAssertTrue(assets.stylesheetPath.hasSuffix(".css"))
        let name = String(assets.stylesheetPath.dropFirst("/console/assets/".count))
        XCTAssertEqual(ConsoleAssets.servedName("console", "css", assets.byName[name]?.bytes ?? []), name)
    }

    /// docs/CONSOLE.md states the numbers the code uses.
    func testTheDocumentStatesTheCodesNumbers() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/CONSOLE.md")
        let document = try String(contentsOf: url, encoding: .utf8)
        let stated = [
            "**\(Int(ConsoleSessionPolicy.idleTimeout / 60)) minutes without a request**",
            "**\(Int(ConsoleSessionPolicy.absoluteTimeout / 3600)) hours after sign-in**",
            "at least \(PasswordPolicy.minimumLength) characters", "cost \(PasswordPolicy.bcryptCost)",
            "\(SignInLimiter.maxFailures) per minute", "\(FleetQuery.pageSize) to a page",
            "at most \(ConsoleRoutes.maxPresenceStreams) such streams", ConsoleMiddleware.contentSecurityPolicy,
        ]
        for text in stated { XCTAssertTrue(document.contains(text), "docs/CONSOLE.md should say \"\(text)\"") }
    }
}
