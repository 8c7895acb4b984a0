import Foundation
import Logging
import SharedWire

/// Cuts the live connections of devices that were revoked or reset, and ends sessions an
/// operator asked to end. The operator's commands write the store, not the relay, so the relay
/// watches the audit log for those events.
struct RevocationWatch: Sendable {
    let store: any RelayStore
    let agents: AgentDirectory
    let broker: SessionBroker
    /// How often the audit log is read.
    let interval: Duration
    let logger: Logger

    /// Runs until the task is cancelled.
    func run() async {
        var since = Date()
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            do {
                let entries = try await store.auditEntries(AuditQuery(since: since, limit: 10_000))
                for entry in entries where entry.event == .deviceRevoked || entry.event == .deviceReset {
                    guard let deviceID = entry.deviceID else { continue }
                    cut(deviceID: deviceID, reason: entry.event == .deviceRevoked ? "revoked" : "reset")
                }
                for entry in entries where entry.event == .sessionEndRequested {
                    guard let sessionID = entry.sessionID else { continue }
                    broker.closeSession(id: sessionID, code: .sessionEnded, message: entry.reason)
                }
                if let newest = entries.map(\.at).max() { since = newest.addingTimeInterval(0.001) }
            } catch {
                logger.warning("Reading the audit log failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func cut(deviceID: String, reason: String) {
        let message = "device \(deviceID) was \(reason) by an administrator"
        logger.notice("Cutting a device's connections", metadata: ["device.id": "\(deviceID)", "reason": "\(reason)"])
        broker.closeSessions(deviceID: deviceID, code: .deviceRevoked, message: message)
        agents.entry(deviceID: deviceID)?.channel.closeWithGoingAway(.deviceRevoked, message)
    }
}
