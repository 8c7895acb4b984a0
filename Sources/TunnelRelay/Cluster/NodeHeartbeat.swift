import Logging
import ServiceLifecycle

/// Keeps this node's row in the store's `nodes` table alive: registered before the relay
/// listens (`register`), a heartbeat every `NodeLease.heartbeatInterval` while it runs, and the
/// row removed (its agents offline) when it stops gracefully. Put first in the service group,
/// so it stops last, after the listeners.
public struct NodeHeartbeat: Service {
    private let store: any RelayStore
    private let identity: NodeIdentity
    /// Tells this process apart from another one registering the same name.
    private let instance: String
    private let interval: Duration
    private let logger: Logger

    /// Registers the node (its agents from an earlier run go offline) and returns the service
    /// that keeps it registered.
    public static func register(
        store: any RelayStore, identity: NodeIdentity, interval: Duration = NodeLease.standard.heartbeatInterval, logger: Logger
    ) async throws -> NodeHeartbeat {
        let instance = RandomText.hex(bytes: 16)
        try await store.registerNode(identity, instance: instance)
        logger.info("Relay node registered", metadata: ["node.name": "\(identity.name)", "node.address": "\(identity.address)"])
        return NodeHeartbeat(store: store, identity: identity, instance: instance, interval: interval, logger: logger)
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                await beat()
            }
        }
        do {
            try await store.removeNode(identity, instance: instance)
            logger.info("Relay node removed", metadata: ["node.name": "\(identity.name)"])
        } catch {
            logger.warning("Relay node removal failed", metadata: ["node.name": "\(identity.name)", "error": "\(error)"])
        }
    }

    /// One heartbeat; a store that does not answer is logged and tried again at the next.
    private func beat() async {
        do {
            if try await !store.heartbeatNode(identity, instance: instance) {
                logger.error(
                    "Another relay process registered this node name; this one no longer holds its agents",
                    metadata: ["node.name": "\(identity.name)"])
            }
        } catch {
            logger.warning("Relay node heartbeat failed", metadata: ["node.name": "\(identity.name)", "error": "\(error)"])
        }
    }
}
