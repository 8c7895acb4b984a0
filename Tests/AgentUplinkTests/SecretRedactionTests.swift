import Foundation
import SharedWire
import XCTest

@testable import TunnelAgent

/// What leaves the gateway in a diagnostic bundle: no secret, whatever file or text it was in.
final class SecretRedactionTests: XCTestCase {
    func testSecretsAreMaskedByKeyAndScrubbedFromOtherTexts() throws {
        let settings = """
            {"mqtt": {"uri": "mqtts://tb.example.com:8883", "password": "pw-one", "access_token": "tok-two",
                      "cli_key": "/etc/tunnel-agent/mqtt-key.pem", "sequence_key": "seq",
                      "provision": {"device_name": "pack-7", "key": "prov-three", "secret": "prov-four"}},
             "wifi": {"admin_page": {"enabled": true, "passkey": "pass-five"}},
             "tunnel": {"relay": "relay.example.com:7443", "key": "device-key.pem"}}
            """
        var redaction = SecretRedaction()
        let redacted = try XCTUnwrap(redaction.redact(json: Data(settings.utf8)))
        let text = String(decoding: redacted, as: UTF8.self)
        for secret in ["pw-one", "tok-two", "prov-three", "prov-four", "pass-five", "mqtt-key.pem", "device-key.pem"] {
            XCTAssertFalse(text.contains(secret), "\(secret) left in \(text)")
        }
        for kept in ["tb.example.com", "pack-7", "\"seq\"", "relay.example.com:7443"] {
            XCTAssertTrue(text.contains(kept), "\(kept) is not a secret and stays")
        }
        XCTAssertEqual(
            redaction.scrub("broker refused user with password pw-one; token tok-two"),
            "broker refused user with password ***; token ***")
    }

    func testNotJSONIsRefusedRatherThanPassedOn() {
        var redaction = SecretRedaction()
        XCTAssertNil(redaction.redact(json: Data("password=pw-one".utf8)))
    }

    func testTheProbeSendsOnlyReadingSentences() {
        for request in G1Probe.requests {
            XCTAssertEqual(G1Catalogue.effect(of: request), .reads, "\(request.name) must only read")
        }
    }
}
