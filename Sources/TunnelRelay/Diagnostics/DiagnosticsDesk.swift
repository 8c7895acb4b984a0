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
        /// The agent is not connected to this relay node.
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
            id: "dg-" + RandomText.hex(bytes: 12), deviceID: deviceID, requestedBy: administrator, requestedAt: now.storedPrecision)
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
