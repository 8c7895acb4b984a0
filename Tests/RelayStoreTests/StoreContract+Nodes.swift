import Foundation
import XCTest

@testable import TunnelRelay

/// Relay nodes sharing a store: presence claims with epochs, leases by the store's clock, and
/// each node resetting only its own agents.
extension StoreContract {
    static func node(_ name: String) throws -> NodeIdentity {
        try NodeIdentity(name: name, address: "\(name).internal:7443")
    }

    static func claim(_ store: any RelayStore, _ device: String, on node: String, at: Date) async throws -> Int64 {
        let epoch = try await store.markOnline(
            deviceID: device, remoteAddress: "198.51.100.9:4000", agentVersion: "tunnel-agent/1.0", relayNode: node, at: at)
        return try XCTUnwrap(epoch, "\(device) is registered, so its presence can be claimed")
    }

    static func presenceEpochs(_ factory: some StoreFactory) async throws {
        let nodeA = try await factory.open()
        let nodeB = try await factory.open()
        try await nodeA.registerNode(node("node-a"), instance: "a1")
        try await nodeB.registerNode(node("node-b"), instance: "b1")
        try await nodeA.registerDevice(registration("pack-7", serial: "01"))
        let unknown = try await nodeA.markOnline(deviceID: "nobody", remoteAddress: "x:1", agentVersion: "v", relayNode: "node-a", at: t0)
        XCTAssertNil(unknown, "an unknown device has no presence to claim")

        let old = try await claim(nodeA, "pack-7", on: "node-a", at: t0 + 1)
        let new = try await claim(nodeB, "pack-7", on: "node-b", at: t0 + 2)
        XCTAssertGreaterThan(new, old)
        // Node a's writes for its old connection come late: none of them wins.
        try await nodeA.markSeen(deviceID: "pack-7", epoch: old, at: t0 + 9)
        let stale = try await nodeA.markOffline(deviceID: "pack-7", epoch: old, at: t0 + 9)
        XCTAssertFalse(stale)
        let held = try await nodeA.device(id: "pack-7")?.presence
        XCTAssertEqual(held?.online, true)
        XCTAssertEqual(held?.relayNode, "node-b")
        XCTAssertEqual(held?.epoch, new)
        XCTAssertEqual(held?.lastSeenAt, t0 + 2, "a stale heard-from changes nothing")

        // Claims racing on two handles each get their own epoch: the counter is raised atomically.
        let racing = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<20 {
                let store = index.isMultiple(of: 2) ? nodeA : nodeB
                group.addTask { try await claim(store, "pack-7", on: index.isMultiple(of: 2) ? "node-a" : "node-b", at: t0 + 3) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(Set(racing).count, 20)
        XCTAssertTrue(racing.allSatisfy { $0 > new })
        let newest = try XCTUnwrap(racing.max())
        let current = try await nodeB.device(id: "pack-7")?.presence.epoch
        XCTAssertEqual(current, newest, "the row holds the newest claim")
        let newestOffline = try await nodeB.markOffline(deviceID: "pack-7", epoch: newest, at: t0 + 4)
        XCTAssertTrue(newestOffline)
        let gone = try await nodeB.device(id: "pack-7")?.presence.online
        XCTAssertEqual(gone, false)
    }

    static func nodeLease(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerNode(node("node-a"), instance: "a1")
        try await store.registerNode(node("node-b"), instance: "b1")
        try await store.registerDevice(registration("pack-a", serial: "01"))
        try await store.registerDevice(registration("pack-b", serial: "02"))
        try await store.registerDevice(registration("pack-x", serial: "03"))
        _ = try await claim(store, "pack-a", on: "node-a", at: t0)
        _ = try await claim(store, "pack-b", on: "node-b", at: t0)
        _ = try await claim(store, "pack-x", on: "node-never-registered", at: t0)
        var online = try await store.devices().filter(\.presence.online).map(\.id)
        XCTAssertEqual(online, ["pack-a", "pack-b"], "a node without a row holds nothing")

        // Node a stops heartbeating: once its heartbeat is older than the lease, its agent is offline.
        try await factory.ageNodeHeartbeats(bySeconds: 16)
        try await XCTAssertTrueAsync(try await store.heartbeatNode(node("node-b"), instance: "b1"))
        online = try await store.devices().filter(\.presence.online).map(\.id)
        XCTAssertEqual(online, ["pack-b"])
        let single = try await store.device(id: "pack-a")?.presence
        XCTAssertEqual(single?.online, false)
        XCTAssertEqual(single?.relayNode, "node-a", "the row still says where it was")
        let admin = UserRecord(id: "root", role: .admin, customers: [], createdAt: t0)
        let visible = try await store.devices(visibleTo: admin).filter(\.presence.online).map(\.id)
        XCTAssertEqual(visible, ["pack-b"])

        let nodes = try await store.nodes()
        XCTAssertEqual(nodes.map(\.name), ["node-a", "node-b"])
        XCTAssertEqual(nodes.map(\.isLive), [false, true])
        XCTAssertEqual(nodes.map(\.agents), [0, 1])
        XCTAssertEqual(nodes[0].address, "node-a.internal:7443")
        XCTAssertGreaterThanOrEqual(nodes[0].heartbeatAge, 16)
        XCTAssertLessThan(nodes[1].heartbeatAge, 5)
        let addressOfA = try await store.liveNodeAddress(name: "node-a")
        let addressOfB = try await store.liveNodeAddress(name: "node-b")
        let addressOfNobody = try await store.liveNodeAddress(name: "node-never-registered")
        XCTAssertNil(addressOfA, "a node past its lease is not reached")
        XCTAssertEqual(addressOfB, "node-b.internal:7443")
        XCTAssertNil(addressOfNobody)

        // Node a was only slow: its next heartbeat brings its agent back.
        try await XCTAssertTrueAsync(try await store.heartbeatNode(node("node-a"), instance: "a1"))
        let back = try await store.device(id: "pack-a")?.presence.online
        XCTAssertEqual(back, true)
        let addressAgain = try await store.liveNodeAddress(name: "node-a")
        XCTAssertEqual(addressAgain, "node-a.internal:7443")
    }

    static func perNodeReset(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerNode(node("node-a"), instance: "a1")
        try await store.registerNode(node("node-b"), instance: "b1")
        try await store.registerDevice(registration("pack-a", serial: "01"))
        try await store.registerDevice(registration("pack-b", serial: "02"))
        _ = try await claim(store, "pack-a", on: "node-a", at: t0)
        _ = try await claim(store, "pack-b", on: "node-b", at: t0)

        // Node a restarts (a new process under its name): its agents are offline, node b's are not.
        try await store.registerNode(node("node-a"), instance: "a2")
        var online = try await store.devices().filter(\.presence.online).map(\.id)
        XCTAssertEqual(online, ["pack-b"])
        // The process it replaced no longer speaks for the name.
        try await XCTAssertFalseAsync(try await store.heartbeatNode(node("node-a"), instance: "a1"))
        _ = try await claim(store, "pack-a", on: "node-a", at: t0 + 1)
        try await store.removeNode(node("node-a"), instance: "a1")
        online = try await store.devices().filter(\.presence.online).map(\.id)
        XCTAssertEqual(online, ["pack-a", "pack-b"], "the old process's clean stop leaves the new one's agents")
        let names = try await store.nodes().map(\.name)
        XCTAssertEqual(names, ["node-a", "node-b"])

        // A clean stop removes the node and sets its agents offline.
        try await store.removeNode(node("node-b"), instance: "b1")
        online = try await store.devices().filter(\.presence.online).map(\.id)
        XCTAssertEqual(online, ["pack-a"])
        let left = try await store.nodes().map(\.name)
        XCTAssertEqual(left, ["node-a"])
    }

    static func silentNodesAreForgotten(_ factory: some StoreFactory) async throws {
        let store = try await factory.open()
        try await store.registerNode(node("node-a"), instance: "a1")
        try await factory.ageNodeHeartbeats(bySeconds: 3601)
        try await store.registerNode(node("node-b"), instance: "b1")
        let names = try await store.nodes().map(\.name)
        XCTAssertEqual(names, ["node-b"], "a node silent for an hour leaves the table")
        // Node a comes back after all: its heartbeat puts its row back.
        try await XCTAssertTrueAsync(try await store.heartbeatNode(node("node-a"), instance: "a1"))
        let again = try await store.nodes().map(\.name)
        XCTAssertEqual(again, ["node-a", "node-b"])
    }
}

func XCTAssertTrueAsync(_ value: @autoclosure () async throws -> Bool, file: StaticString = #filePath, line: UInt = #line) async throws {
    let result = try await value()
    XCTAssertTrue(result, file: file, line: line)
}

func XCTAssertFalseAsync(_ value: @autoclosure () async throws -> Bool, file: StaticString = #filePath, line: UInt = #line) async throws {
    let result = try await value()
    XCTAssertFalse(result, file: file, line: line)
}
