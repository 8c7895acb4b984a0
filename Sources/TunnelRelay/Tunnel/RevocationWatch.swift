import Foundation
import Logging
import SharedWire

/// Cuts the live connections of devices that were revoked or reset, ends sessions an
/// operator asked to end, and passes on certificate renewals and diagnostic bundle requests
/// asked through another node. The operator's commands and the other nodes write the store,
/// not this relay, so the relay follows the audit log for those events, by entry id (`AuditCursor`),
/// not by time: a clock step or two writes in one millisecond cannot hide an entry. It reads
/// the log when the store announces such an entry (PostgreSQL's notifications) and every
/// `interval` besides, which is all there is where the store cannot announce (SQLite).
struct RevocationWatch: Sendable {
    let store: any RelayStore
    let agents: AgentDirectory
    let broker: SessionBroker
    let diagnostics: DiagnosticsDesk
    /// How often the audit log is read without an announcement.
    let interval: Duration
    let logger: Logger

    /// Most entries read at once; more wait for the next read, which comes at once.
    static let batch = 1_000
    /// `interval` where the store announces the entries: a notice missed while the listening
    /// connection was down is read when it listens again, so this read only backs that up.
    static let announcedInterval: Duration = .seconds(10)

    /// Runs until the task is cancelled.
    func run() async {
        guard var cursor = await start() else { return }
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { [store] in await store.followChanges { wake.yield() } }
            tasks.addTask { [interval] in
                while (try? await Task.sleep(for: interval)) != nil { wake.yield() }
            }
            for await _ in wakes { await read(after: &cursor) }
            tasks.cancelAll()
        }
    }

    /// Acts on every entry after `cursor`, in batches.
    private func read(after cursor: inout AuditCursor) async {
        while !Task.isCancelled {
            do {
                let entries = try await store.auditEntries(AuditQuery(afterID: cursor.afterID, limit: Self.batch))
                for entry in cursor.take(entries, now: Date()) { act(on: entry) }
                if entries.count < Self.batch { return }
            } catch {
                logger.warning("Reading the audit log failed", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// A cursor after the newest entry, once the store answers; nil when cancelled first.
    private func start() async -> AuditCursor? {
        while !Task.isCancelled {
            do {
                let newest = try await store.auditEntries(AuditQuery(beforeID: .max, limit: 1)).last?.id ?? 0
                return AuditCursor(after: newest)
            } catch {
                logger.warning("Reading the audit log failed", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return nil
            }
        }
        return nil
    }

    private func act(on entry: AuditEntry) {
        switch entry.event {
        case .deviceRevoked, .deviceReset:
            guard let deviceID = entry.deviceID else { return }
            cut(deviceID: deviceID, reason: entry.event == .deviceRevoked ? "revoked" : "reset")
        case .sessionEndRequested:
            guard let sessionID = entry.sessionID else { return }
            let code: TunnelErrorCode = entry.actor == AuditEntry.takeOverActor ? .sessionTakenOver : .sessionEnded
            broker.closeSession(id: sessionID, code: code, message: entry.reason)
        case .renewalRequested:
            guard let deviceID = entry.deviceID, let agent = agents.entry(deviceID: deviceID) else { return }
            logger.notice("Passing a certificate renewal request on", metadata: ["device.id": "\(deviceID)", "by": "\(entry.actor)"])
            agent.channel.writeAndFlush(TunnelMessage.renewRequested(entry.reason), promise: nil)
        case .diagnosticsForwarded:
            guard let deviceID = entry.deviceID, let requestID = DiagnosticRecord.id(in: entry.reason) else { return }
            diagnostics.pass(requestID: requestID, deviceID: deviceID)
        default:
            return
        }
    }

    private func cut(deviceID: String, reason: String) {
        let message = "device \(deviceID) was \(reason) by an administrator"
        logger.notice("Cutting a device's connections", metadata: ["device.id": "\(deviceID)", "reason": "\(reason)"])
        broker.closeSessions(deviceID: deviceID, code: .deviceRevoked, message: message)
        agents.entry(deviceID: deviceID)?.channel.closeWithGoingAway(.deviceRevoked, message)
    }
}
