import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SharedWire

/// A diagnostic bundle asked for through the relay (`DIAGNOSE_REQUESTED`): made inside the
/// running agent (no BMS probe: the agent holds the serial port; its links' state instead),
/// and sent back on the control connection that asked, in pieces, each written before the
/// next, then its length and SHA-256. One at a time; a second request meanwhile is refused.
public final class RemoteDiagnostics: Sendable {
    /// Bytes of the archive per `DIAGNOSTIC_DATA` frame.
    static let pieceBytes = 32 << 10
    /// Largest archive sent; the relay takes no more.
    static let maxBundleBytes = 16 << 20

    private let paths: AgentPaths
    private let facts: AgentFacts
    private let sessions: @Sendable () -> Int
    private let logger: Logger
    private let state = NIOLockedValueBox<(busy: Bool, queue: TelemetryQueue?)>((false, nil))

    init(paths: AgentPaths, facts: AgentFacts, sessions: @escaping @Sendable () -> Int, logger: Logger) {
        self.paths = paths
        self.facts = facts
        self.sessions = sessions
        self.logger = logger
    }

    /// The telemetry queue whose figures go into bundles, once the uplink has opened it.
    func use(queue: TelemetryQueue) {
        state.withLockedValue { $0.queue = queue }
    }

    /// Makes the bundle `requestID` and sends it on `channel`.
    func requested(_ requestID: String, on channel: any Channel) {
        guard TunnelIdentifier.isValid(requestID) else {
            return logger.warning("Diagnostic request with an ID not in identifier form ignored")
        }
        let queue = state.withLockedValue { state -> TelemetryQueue?? in
            guard !state.busy else { return .none }
            state.busy = true
            return .some(state.queue)
        }
        guard let queue else {
            channel.writeAndFlush(TunnelMessage.diagnosticEnd(.failed(requestID, "a bundle is being made already")), promise: nil)
            return
        }
        logger.notice("Diagnostic bundle asked for through the relay", metadata: ["bundle": "\(requestID)"])
        Task {
            defer { state.withLockedValue { $0.busy = false } }
            let bundle = DiagnosticBundle(
                paths: paths, probe: false, running: .init(facts: facts, queue: queue, sessions: sessions()))
            do {
                try await send(try await Self.archive(bundle), requestID: requestID, on: channel)
            } catch {
                logger.warning("Diagnostic bundle not sent", metadata: ["bundle": "\(requestID)", "error": "\(error)"])
                try? await channel.writeAndFlush(TunnelMessage.diagnosticEnd(.failed(requestID, "\(error)"))).get()
            }
        }
    }

    /// The bundle's archive, made in a folder of its own that is removed afterwards.
    private static func archive(_ bundle: DiagnosticBundle) async throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remote-diagnose-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("tunnel-agent-diagnose.tar.gz").path
        try await bundle.write(to: path)
        guard let data = FileManager.default.contents(atPath: path) else { throw DiagnoseError("the archive \(path) cannot be read") }
        guard data.count <= maxBundleBytes else {
            throw DiagnoseError("the archive is \(data.count) bytes, more than the \(maxBundleBytes) the relay takes")
        }
        return Array(data)
    }

    private func send(_ archive: [UInt8], requestID: String, on channel: any Channel) async throws {
        for start in stride(from: 0, to: archive.count, by: Self.pieceBytes) {
            let piece = ByteBuffer(bytes: archive[start..<min(start + Self.pieceBytes, archive.count)])
            try await channel.writeAndFlush(TunnelMessage.diagnosticData(.init(requestID: requestID, data: piece))).get()
        }
        let end = TunnelMessage.DiagnosticEnd(
            requestID: requestID, length: UInt32(archive.count), sha256: Array(SHA256.hash(data: archive)))
        try await channel.writeAndFlush(TunnelMessage.diagnosticEnd(end)).get()
        logger.notice("Diagnostic bundle sent", metadata: ["bundle": "\(requestID)", "bytes": "\(archive.count)"])
    }
}
