import ArgumentParser
import Foundation

/// `tunnel-relay node list`: the relay nodes sharing the store, as `GET /v1/nodes` gives them.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "List the relay nodes that share the store.",
        discussion: "A node registers when it starts, heartbeats every 3 s and leaves the list when stopped cleanly.",
        subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List nodes: name, address, live or gone (by the 15 s lease), agents held, heartbeat age.")

        @OptionGroup var options: RelayOptions

        func run() async throws {
            for node in try await options.withStore({ try await $0.nodes() }) {
                let state = node.isLive ? "live" : "gone"
                let age = String(format: "%.1f", node.heartbeatAge)
                print(
                    "\(node.name)\t\(node.address)\t\(state)\t\(node.agents) agents\theartbeat \(age) s ago"
                        + "\tstarted \(ISO8601DateFormatter().string(from: node.startedAt))")
            }
        }
    }
}
