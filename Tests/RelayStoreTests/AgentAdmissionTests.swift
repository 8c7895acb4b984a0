import Foundation
import XCTest

@testable import TunnelRelay

/// Which agents the relay admits, from the device's record and the certificate presented.
final class AgentAdmissionTests: XCTestCase {
    private func record(revoked: Bool = false, pending: String = "") -> DeviceRecord {
        DeviceRecord(
            id: "pack-1", customer: "acme", createdAt: Date(), revokedAt: revoked ? Date() : nil, certificateSerial: "11",
            pendingCertificateSerial: pending)
    }

    func testEachRecordGetsItsAnswer() {
        XCTAssertEqual(
            AgentAdmission.decide(deviceID: "pack-1", serial: "11", record: nil),
            .refuse(.deviceUnknown, "device pack-1 is not registered with this relay"))
        XCTAssertEqual(
            AgentAdmission.decide(deviceID: "pack-1", serial: "11", record: record(revoked: true)),
            .refuse(.deviceRevoked, "device pack-1 has been revoked"))
        XCTAssertEqual(
            AgentAdmission.decide(deviceID: "pack-1", serial: "10", record: record()),
            .refuse(.authenticationFailed, "the certificate of device pack-1 is not its current one (serial 10)"))
        XCTAssertEqual(AgentAdmission.decide(deviceID: "pack-1", serial: "11", record: record()), .admit(renewedCertificateInUse: false))
        XCTAssertEqual(
            AgentAdmission.decide(deviceID: "pack-1", serial: "12", record: record(pending: "12")), .admit(renewedCertificateInUse: true),
            "the renewed certificate on offer is admitted and becomes the current one")
        XCTAssertEqual(
            AgentAdmission.decide(deviceID: "pack-1", serial: "11", record: record(pending: "12")), .admit(renewedCertificateInUse: false),
            "the old one still works until then")
    }
}
