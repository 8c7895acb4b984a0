import Foundation
import XCTest

@testable import TunnelAgent

/// Who gets into the local admin page: the passkey, sessions that end with inactivity, and
/// sign-in failures limited per address and overall.
final class AdminPageGateTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    private var counter = 0

    private func token() -> String {
        counter += 1
        return "token-\(counter)"
    }

    func testThePasskeyOpensASessionThatEndsAfterTheTimeoutWithoutRequests() throws {
        var gate = AdminPageGate(passkey: "pk", timeout: 300)
        guard case .signedIn(let session) = gate.signIn(passkey: "pk", from: "10.0.0.2", now: t0, newToken: token) else {
            return XCTFail("the passkey signs in")
        }
        XCTAssertNotNil(gate.session(session, now: t0 + 299))
        XCTAssertNotNil(gate.session(session, now: t0 + 598), "each request renews it")
        XCTAssertNil(gate.session(session, now: t0 + 899), "300 s without a request end it")
        XCTAssertNil(gate.session(session, now: t0 + 900), "and it stays ended")
        XCTAssertNil(gate.session("forged", now: t0))
        XCTAssertNil(gate.session(nil, now: t0))
    }

    func testEachSessionHasItsOwnFormTokenAndSignOutEndsIt() throws {
        var gate = AdminPageGate(passkey: "pk", timeout: 300)
        guard case .signedIn(let first) = gate.signIn(passkey: "pk", from: "a", now: t0, newToken: token),
            case .signedIn(let second) = gate.signIn(passkey: "pk", from: "b", now: t0, newToken: token)
        else { return XCTFail("both sign in") }
        let firstCSRF = try XCTUnwrap(gate.session(first, now: t0)).csrfToken
        XCTAssertNotEqual(firstCSRF, try XCTUnwrap(gate.session(second, now: t0)).csrfToken)
        XCTAssertNotEqual(firstCSRF, first, "the form token is not the cookie")
        gate.signOut(first)
        XCTAssertNil(gate.session(first, now: t0))
        XCTAssertNotNil(gate.session(second, now: t0))
    }

    func testFailuresLockOutTheAddressForAMinuteAndNotOthers() {
        var gate = AdminPageGate(passkey: "pk", timeout: 300)
        for second in 0..<AdminPageGate.failuresBeforeLockout {
            XCTAssertEqual(gate.signIn(passkey: "guess", from: "a", now: t0 + Double(second), newToken: token), .wrongPasskey)
        }
        XCTAssertEqual(gate.signIn(passkey: "pk", from: "a", now: t0 + 10, newToken: token), .lockedOut(seconds: 50))
        guard case .signedIn = gate.signIn(passkey: "pk", from: "b", now: t0 + 10, newToken: token) else {
            return XCTFail("another address is not locked out")
        }
        guard case .signedIn = gate.signIn(passkey: "pk", from: "a", now: t0 + 65, newToken: token) else {
            return XCTFail("the lockout ends")
        }
    }

    func testGuessingFromManyAddressesIsSlowedForEveryone() {
        var gate = AdminPageGate(passkey: "pk", timeout: 300)
        for index in 0..<AdminPageGate.failuresOverall {
            XCTAssertEqual(gate.signIn(passkey: "guess", from: "10.0.\(index)", now: t0, newToken: token), .wrongPasskey)
        }
        XCTAssertEqual(gate.signIn(passkey: "pk", from: "10.9.9.9", now: t0 + 1, newToken: token), .lockedOut(seconds: 59))
    }

    func testSessionsAreBoundedTheLeastRecentlyUsedGoesFirst() {
        var gate = AdminPageGate(passkey: "pk", timeout: 3_600)
        var tokens: [String] = []
        for index in 0...AdminPageGate.maxSessions {
            if case .signedIn(let session) = gate.signIn(passkey: "pk", from: "a", now: t0 + Double(index), newToken: token) {
                tokens.append(session)
            }
        }
        XCTAssertEqual(gate.sessions.count, AdminPageGate.maxSessions)
        XCTAssertNil(gate.session(tokens[0], now: t0 + 100))
        XCTAssertNotNil(gate.session(tokens.last, now: t0 + 100))
    }

    func testAnEmptyGuessNeverMatchesAPasskey() {
        var gate = AdminPageGate(passkey: "pk", timeout: 300)
        XCTAssertEqual(gate.signIn(passkey: "", from: "a", now: t0, newToken: token), .wrongPasskey)
        XCTAssertEqual(gate.signIn(passkey: "pk ", from: "a", now: t0, newToken: token), .wrongPasskey)
    }
}
