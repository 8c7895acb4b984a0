import Foundation
import XCTest

@testable import TunnelRelay

/// docs/CLUSTER.md gives the numbers `NodeLease.standard` uses.
final class ClusterDocumentTests: XCTestCase {
    func testTheDocumentedLeaseNumbersAreTheCodes() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/CLUSTER.md")
        let document = try String(contentsOf: url, encoding: .utf8)
        let lease = NodeLease.standard
        for (row, duration) in [
            ("| Heartbeat interval | ", lease.heartbeatInterval), ("| Lease | ", lease.duration),
            ("| Forgotten (row removed) after | ", lease.forgottenAfter),
        ] {
            let line = try XCTUnwrap(document.split(separator: "\n").first { $0.hasPrefix(row) }, "CLUSTER.md has no row \(row)")
            let value = line.dropFirst(row.count).split(separator: " ").first.flatMap { Double($0) }
            let unit = line.dropFirst(row.count).split(separator: " ").dropFirst().first
            let seconds = try XCTUnwrap(value) * (unit == "h" ? 3600 : unit == "min" ? 60 : 1)
            XCTAssertEqual(seconds, duration.inSeconds, "\(line)")
        }
    }
}
