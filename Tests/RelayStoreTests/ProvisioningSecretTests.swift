import Crypto
import Foundation
import XCTest

@testable import TunnelRelay

final class ProvisioningSecretTests: XCTestCase {
    let key = SymmetricKey(size: .bits256)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func testAFleetSecretRegistersAnyIDOfItsCustomerUntilItExpires() throws {
        let text = ProvisioningSecret(customer: "acme", deviceID: nil, expiresAt: now.addingTimeInterval(60)).text(key: key)
        XCTAssertEqual(try ProvisioningSecret.verify(text, deviceID: "pack-7", key: key, now: now).customer, "acme")
        XCTAssertThrowsError(try ProvisioningSecret.verify(text, deviceID: "pack-7", key: key, now: now.addingTimeInterval(61))) {
            XCTAssertTrue("\($0)".contains("expired"), "\($0)")
        }
    }

    func testADeviceSecretRegistersOnlyItsDevice() throws {
        let text = ProvisioningSecret(customer: "acme", deviceID: "pack-7", expiresAt: now.addingTimeInterval(60)).text(key: key)
        XCTAssertNoThrow(try ProvisioningSecret.verify(text, deviceID: "pack-7", key: key, now: now))
        XCTAssertThrowsError(try ProvisioningSecret.verify(text, deviceID: "pack-8", key: key, now: now)) {
            XCTAssertEqual("\($0)", "the provisioning secret is for device pack-7, not pack-8")
        }
    }

    func testChangedFieldsOtherKeysAndGarbageAreRefused() {
        let text = ProvisioningSecret(customer: "acme", deviceID: nil, expiresAt: now.addingTimeInterval(60)).text(key: key)
        let widened = text.replacingOccurrences(of: "ps1.acme.", with: "ps1.beta.")
        for (candidate, expected) in [
            (widened, "not valid"), (text, "not valid"), ("ps1.acme.*.1", "malformed"), ("", "malformed"),
            ("ps1.acme.*.x.AAAA", "malformed"),
        ] {
            let verifyingKey = candidate == text ? SymmetricKey(size: .bits256) : key
            XCTAssertThrowsError(try ProvisioningSecret.verify(candidate, deviceID: "d", key: verifyingKey, now: now)) {
                XCTAssertTrue("\($0)".contains(expected), "\(candidate): \($0)")
            }
        }
    }
}
