import Foundation
import XCTest

@testable import TunnelRelay

/// The per-node gauges in a relay's `/metrics`: the other nodes' heartbeat ages, not its own,
/// and none for a node that left the table.
final class NodeMetricsTests: XCTestCase {
    private func node(_ name: String, age: Double) -> NodeRecord {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        return NodeRecord(
            name: name, address: "\(name):7443", startedAt: now - 60, heartbeatAt: now - age, heartbeatAge: age, isLive: age <= 15,
            agents: 0)
    }

    private func text(_ metrics: RelayMetrics, _ nodes: [NodeRecord]?) -> String {
        String(decoding: metrics.exposition(agents: 2, sessions: 0, nodes: nodes, ownNode: "node-a"), as: UTF8.self)
    }

    func testTheOtherNodesHeartbeatAgesAreGivenAndOwnIsNot() {
        let metrics = RelayMetrics()
        let exposition = text(metrics, [node("node-a", age: 1), node("node-b", age: 2.5), node("node-c", age: 20)])
        XCTAssertTrue(exposition.contains(#"relay_node_heartbeat_age_seconds{node="node-b"} 2.5"#), exposition)
        XCTAssertTrue(exposition.contains(#"relay_node_heartbeat_age_seconds{node="node-c"} 20"#), exposition)
        XCTAssertFalse(exposition.contains(#"node="node-a""#), exposition)
        XCTAssertTrue(exposition.contains("relay_agents_connected 2"), exposition)
    }

    func testANodeThatLeftTheTableLeavesTheExposition() {
        let metrics = RelayMetrics()
        _ = text(metrics, [node("node-b", age: 1), node("node-c", age: 1)])
        let later = text(metrics, [node("node-c", age: 4)])
        XCTAssertFalse(later.contains(#"node="node-b""#), later)
        XCTAssertTrue(later.contains(#"relay_node_heartbeat_age_seconds{node="node-c"} 4"#), later)
    }

    func testAStoreThatDidNotAnswerLeavesTheAgesAsTheyWere() {
        let metrics = RelayMetrics()
        _ = text(metrics, [node("node-b", age: 3)])
        let unanswered = text(metrics, nil)
        XCTAssertTrue(unanswered.contains(#"relay_node_heartbeat_age_seconds{node="node-b"} 3"#), unanswered)
    }
}
