import Crypto
import Foundation
import NIOCore
import SharedWire
import XCTest

@testable import TunnelRelay

/// The rules of bundles on their way from agents: pieces count only for a request of the same
/// device, the size is bounded, the length and SHA-256 are checked, and no request waits forever.
final class DiagnosticUploadsTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    private func piece(_ id: String, _ bytes: [UInt8]) -> TunnelMessage.DiagnosticData {
        .init(requestID: id, data: ByteBuffer(bytes: bytes))
    }

    private func end(_ id: String, _ bytes: [UInt8]) -> TunnelMessage.DiagnosticEnd {
        .init(requestID: id, length: UInt32(bytes.count), sha256: Array(SHA256.hash(data: bytes)))
    }

    func testPiecesInOrderMakeTheBundleTheAgentHashed() throws {
        var uploads = DiagnosticUploads()
        XCTAssertEqual(uploads.begin(requestID: "dg-1", deviceID: "pack-1", now: t0), .success([]))
        let archive = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        for start in stride(from: 0, to: archive.count, by: 32_768) {
            XCTAssertNil(uploads.received(piece("dg-1", Array(archive[start..<min(start + 32_768, archive.count)])), from: "pack-1"))
        }
        let finished = try XCTUnwrap(uploads.ended(end("dg-1", archive), from: "pack-1"))
        let hex = SHA256.hash(data: archive).map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(finished, .init(requestID: "dg-1", deviceID: "pack-1", outcome: .received(content: archive, sha256: hex)))
        XCTAssertTrue(uploads.pending.isEmpty)
    }

    func testAnotherDevicesPiecesAndUnknownRequestsAreDropped() throws {
        var uploads = DiagnosticUploads()
        _ = uploads.begin(requestID: "dg-1", deviceID: "pack-1", now: t0)
        XCTAssertNil(uploads.received(piece("dg-1", [1, 2, 3]), from: "pack-2"), "pack-2 cannot write into pack-1's bundle")
        XCTAssertNil(uploads.received(piece("dg-9", [1, 2, 3]), from: "pack-1"))
        XCTAssertNil(uploads.ended(end("dg-1", []), from: "pack-2"), "nor end it")
        XCTAssertNil(uploads.ended(end("dg-9", []), from: "pack-1"))
        XCTAssertEqual(uploads.pending["dg-1"]?.received.readableBytes, 0)
        let finished = try XCTUnwrap(uploads.ended(end("dg-1", []), from: "pack-1"))
        XCTAssertEqual(finished.outcome, .received(content: [], sha256: SHA256.hash(data: []).map { String(format: "%02x", $0) }.joined()))
    }

    func testAWrongLengthOrHashIsAFailureThatSaysSo() throws {
        var uploads = DiagnosticUploads()
        _ = uploads.begin(requestID: "dg-1", deviceID: "pack-1", now: t0)
        _ = uploads.received(piece("dg-1", [1, 2, 3]), from: "pack-1")
        let short = try XCTUnwrap(uploads.ended(end("dg-1", [1, 2, 3, 4]), from: "pack-1"))
        XCTAssertEqual(short.outcome, .failed("the agent sent 4 bytes but 3 arrived"))

        _ = uploads.begin(requestID: "dg-2", deviceID: "pack-1", now: t0)
        _ = uploads.received(piece("dg-2", [1, 2, 3]), from: "pack-1")
        let tampered = try XCTUnwrap(uploads.ended(end("dg-2", [1, 2, 4]), from: "pack-1"))
        XCTAssertEqual(tampered.outcome, .failed("the bundle that arrived does not match the SHA-256 the agent sent"))

        _ = uploads.begin(requestID: "dg-3", deviceID: "pack-1", now: t0)
        let refused = try XCTUnwrap(uploads.ended(.failed("dg-3", "a bundle is being made already"), from: "pack-1"))
        XCTAssertEqual(refused.outcome, .failed("the agent could not make the bundle: a bundle is being made already"))
    }

    func testTheSizeIsBoundedAndTheRequestEndsAtTheBound() throws {
        var uploads = DiagnosticUploads()
        _ = uploads.begin(requestID: "dg-1", deviceID: "pack-1", now: t0)
        let block = [UInt8](repeating: 0x55, count: 65_536)
        for _ in 0..<(DiagnosticUploads.maxBundleBytes / block.count) {
            XCTAssertNil(uploads.received(piece("dg-1", block), from: "pack-1"))
        }
        let over = try XCTUnwrap(uploads.received(piece("dg-1", [0]), from: "pack-1"))
        XCTAssertEqual(over.outcome, .failed("the bundle is larger than the relay accepts (16777216 bytes)"))
        XCTAssertTrue(uploads.pending.isEmpty, "its memory is given back")
        XCTAssertNil(uploads.received(piece("dg-1", [0]), from: "pack-1"), "later pieces go nowhere")
    }

    func testOneRequestPerDeviceABoundOverallAndATimeout() throws {
        var uploads = DiagnosticUploads()
        XCTAssertEqual(uploads.begin(requestID: "dg-1", deviceID: "pack-1", now: t0), .success([]))
        XCTAssertEqual(uploads.begin(requestID: "dg-2", deviceID: "pack-1", now: t0), .failure(.alreadyPending("dg-1")))
        for index in 2...DiagnosticUploads.maxPending {
            XCTAssertEqual(uploads.begin(requestID: "dg-\(index + 10)", deviceID: "pack-\(index)", now: t0), .success([]))
        }
        XCTAssertEqual(uploads.begin(requestID: "dg-99", deviceID: "pack-99", now: t0 + 1), .failure(.tooManyPending))

        let later = t0 + DiagnosticUploads.timeout
        guard case .success(let expired) = uploads.begin(requestID: "dg-99", deviceID: "pack-99", now: later) else {
            return XCTFail("the expired requests make room")
        }
        XCTAssertEqual(expired.count, DiagnosticUploads.maxPending)
        XCTAssertEqual(expired.first?.outcome, .failed("no bundle within 600 s of the request"))
        XCTAssertEqual(Set(uploads.pending.keys), ["dg-99"])
    }

    func testAnAgentThatLeavesFailsItsRequest() {
        var uploads = DiagnosticUploads()
        _ = uploads.begin(requestID: "dg-1", deviceID: "pack-1", now: t0)
        _ = uploads.begin(requestID: "dg-2", deviceID: "pack-2", now: t0)
        XCTAssertEqual(
            uploads.agentGone(deviceID: "pack-1"),
            [.init(requestID: "dg-1", deviceID: "pack-1", outcome: .failed("the agent disconnected before the bundle was complete"))])
        XCTAssertEqual(Set(uploads.pending.keys), ["dg-2"])
    }

    /// A request passed between nodes is named in an audit entry's reason; only an ID the
    /// relay could have made is taken from it.
    func testTheRequestIDIsReadBackFromItsAuditReasonAndNothingElseIs() {
        let id = DiagnosticRecord.newID()
        XCTAssertEqual(DiagnosticRecord.id(in: DiagnosticRecord.auditReason(id: id)), id)
        for reason in [
            "", "bundle", "bundle dg-", "bundle dg-0123456789abcdef0123456", "bundle dg-0123456789abcdef012345678",
            "bundle dg-0123456789ABCDEF01234567", "bundle dg-0123456789abcdef0123456g", "bundle dg-../../etc/passwd00000000",
            "bundle dg-0123456789abcdef01234567, 10 bytes", "Bundle dg-0123456789abcdef01234567",
        ] {
            XCTAssertNil(DiagnosticRecord.id(in: reason), reason)
        }
        XCTAssertEqual(DiagnosticRecord.id(in: "bundle dg-0123456789abcdef01234567"), "dg-0123456789abcdef01234567")
    }
}
