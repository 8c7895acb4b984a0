import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SharedWire

/// The relay's side of remote diagnostics: asks a connected agent for its bundle
/// (`DIAGNOSE_REQUESTED`), takes the pieces its control connection sends back
/// (`DiagnosticUploads` decides), and records the outcome with the device's audit.
public final class DiagnosticsDesk: Sendable {
    private let uploads = NIOLockedValueBox(DiagnosticUploads())
    private let agents: AgentDirectory
    private let store: any RelayStore
    private let writes: StoreWrites
    private let logger: Logger

    init(agents: AgentDirectory, store: any RelayStore, writes: StoreWrites, logger: Logger) {
        self.agents = agents
        self.store = store
        self.writes = writes
        self.logger = logger
    }

    public enum Refusal: Error, Equatable {
        /// The agent is not connected to this relay node (another may hold it: `requestThroughAnotherNode`).
        case agentOffline
        /// A bundle of this device is on its way (the request's ID).
        case alreadyPending(String)
        /// The relay is receiving as many bundles as it takes at once.
        case busy
    }

    /// Asks `deviceID`'s connected agent for a diagnostic bundle on behalf of `administrator`;
    /// returns the request, recorded in the store.
    public func request(deviceID: String, by administrator: String, now: Date = Date()) async throws -> DiagnosticRecord {
        guard let channel = agents.entry(deviceID: deviceID)?.channel else { throw Refusal.agentOffline }
        let asked = DiagnosticRecord(
            id: DiagnosticRecord.newID(), deviceID: deviceID, requestedBy: administrator, requestedAt: now.storedPrecision)
        switch uploads.withLockedValue({ $0.begin(requestID: asked.id, deviceID: deviceID, now: now) }) {
        case .failure(.alreadyPending(let id)): throw Refusal.alreadyPending(id)
        case .failure(.tooManyPending): throw Refusal.busy
        case .success(let expired): record(expired)
        }
        do {
            try await store.addDiagnosticRequest(asked)
        } catch {
            _ = uploads.withLockedValue { $0.agentGone(deviceID: deviceID) }
            throw error
        }
        channel.writeAndFlush(TunnelMessage.diagnoseRequested(asked.id), promise: nil)
        logger.notice("Diagnostic bundle requested", metadata: ["device.id": "\(deviceID)", "bundle": "\(asked.id)"])
        return asked
    }

    /// Asks for `deviceID`'s bundle when another relay node holds its agent: the request is
    /// written to the store with a `device.diagnostics_forwarded` entry, which the holding node
    /// follows (`pass`) and whose bundle it records; every node lists and serves it. Nobody
    /// here waits for the upload, so a request no node took up is failed after the timeout.
    public func requestThroughAnotherNode(deviceID: String, by administrator: String, now: Date = Date()) async throws
        -> DiagnosticRecord
    {
        let waiting = try await store.diagnostics(deviceID: deviceID).first {
            $0.status == .requested && $0.requestedAt > now - DiagnosticUploads.timeout
        }
        if let waiting { throw Refusal.alreadyPending(waiting.id) }
        let asked = DiagnosticRecord(
            id: DiagnosticRecord.newID(), deviceID: deviceID, requestedBy: administrator, requestedAt: now.storedPrecision)
        try await store.addDiagnosticRequest(asked)
        do {
            try await store.appendAudit(
                AuditEntry(
                    at: now, event: .diagnosticsForwarded, actor: administrator, userID: administrator, deviceID: deviceID,
                    reason: DiagnosticRecord.auditReason(id: asked.id)))
        } catch {
            _ = try? await store.finishDiagnostic(
                id: asked.id, outcome: .failed("the request could not be passed to the node holding the agent: \(error)"), at: Date())
            throw error
        }
        logger.notice("Diagnostic bundle requested through another node", metadata: ["device.id": "\(deviceID)", "bundle": "\(asked.id)"])
        failIfNotTakenUp(asked)
        return asked
    }

    /// Fails a forwarded request that is still waiting after the timeout (its node lost the
    /// agent before the request reached it, or stopped); a bundle that arrived is left alone.
    private func failIfNotTakenUp(_ asked: DiagnosticRecord) {
        let store = self.store
        Task {
            try? await Task.sleep(for: .seconds(DiagnosticUploads.timeout))
            _ = try? await store.finishDiagnostic(
                id: asked.id, outcome: .failed("no bundle within \(Int(DiagnosticUploads.timeout)) s of the request"), at: Date())
        }
    }

    /// A request written by another node for an agent this node holds: asks the agent, or
    /// records why it cannot (a bundle of the device on its way, as many uploads as it takes).
    func pass(requestID: String, deviceID: String, now: Date = Date()) {
        guard let channel = agents.entry(deviceID: deviceID)?.channel else { return }
        func failed(_ why: String) -> [DiagnosticUploads.Finished] {
            [DiagnosticUploads.Finished(requestID: requestID, deviceID: deviceID, outcome: .failed(why))]
        }
        switch uploads.withLockedValue({ $0.begin(requestID: requestID, deviceID: deviceID, now: now) }) {
        case .failure(.alreadyPending(let id)):
            record(failed("bundle \(id) of the device is on its way; ask again once it has arrived"))
        case .failure(.tooManyPending):
            record(failed("the relay node holding the agent is receiving \(DiagnosticUploads.maxPending) bundles already"))
        case .success(let expired):
            record(expired)
            channel.writeAndFlush(TunnelMessage.diagnoseRequested(requestID), promise: nil)
            logger.notice("Passing a diagnostic bundle request on", metadata: ["device.id": "\(deviceID)", "bundle": "\(requestID)"])
        }
    }

    /// A piece of a bundle from the control connection of `deviceID`.
    func received(_ piece: TunnelMessage.DiagnosticData, from deviceID: String) {
        if let finished = uploads.withLockedValue({ $0.received(piece, from: deviceID) }) { record([finished]) }
    }

    /// The end of an upload from the control connection of `deviceID`.
    func ended(_ end: TunnelMessage.DiagnosticEnd, from deviceID: String) {
        guard let finished = uploads.withLockedValue({ $0.ended(end, from: deviceID) }) else {
            return logger.info("Diagnostic end for no request of this device dropped", metadata: ["device.id": "\(deviceID)"])
        }
        record([finished])
    }

    /// The control connection of `deviceID` closed.
    func agentGone(deviceID: String) {
        record(uploads.withLockedValue { $0.agentGone(deviceID: deviceID) })
    }

    /// Writes how requests ended, each after every earlier write of its device.
    private func record(_ finished: [DiagnosticUploads.Finished]) {
        let store = self.store
        let logger = self.logger
        let at = Date()
        for request in finished {
            switch request.outcome {
            case .received(let content, _):
                logger.notice(
                    "Diagnostic bundle received",
                    metadata: ["device.id": "\(request.deviceID)", "bundle": "\(request.requestID)", "bytes": "\(content.count)"])
            case .failed(let why):
                logger.warning(
                    "Diagnostic bundle failed",
                    metadata: ["device.id": "\(request.deviceID)", "bundle": "\(request.requestID)", "reason": "\(why)"])
            }
            writes.enqueue(key: "device:\(request.deviceID)", "Diagnostic bundle write") {
                _ = try await store.finishDiagnostic(id: request.requestID, outcome: request.outcome, at: at)
            }
        }
    }
}
