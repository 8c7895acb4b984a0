import Foundation
import Hummingbird
import NIOCore

/// Remote diagnostics: an administrator asks a device's agent for its diagnostic bundle, which
/// the agent uploads over its tunnel to the node holding it, through any node of a cluster;
/// the bundles are kept in the store with the device's audit.
extension AdminRoutes {
    func requestDiagnostics(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let admin = try context.administrator()
        let device = try await visibleDevice(context)
        let asked: DiagnosticRecord
        do {
            do {
                asked = try await relay.diagnostics.request(deviceID: device.id, by: admin.id)
            } catch DiagnosticsDesk.Refusal.agentOffline {
                // Another live node may hold the agent: the request goes there through the store.
                guard device.presence.online, let node = device.presence.relayNode, node != relay.configuration.nodeName else {
                    throw AdminError(.conflict, "agentOffline", "the agent of device \(device.id) is not connected to any relay node")
                }
                asked = try await metrics.timed { try await relay.diagnostics.requestThroughAnotherNode(deviceID: device.id, by: admin.id) }
            }
        } catch DiagnosticsDesk.Refusal.alreadyPending(let id) {
            throw AdminError(.conflict, "diagnosticsPending", "bundle \(id) of device \(device.id) is on its way; wait for it")
        } catch DiagnosticsDesk.Refusal.busy {
            throw AdminError(
                .serviceUnavailable, "diagnosticsBusy",
                "this relay node is receiving \(DiagnosticUploads.maxPending) bundles already; try again in a few minutes")
        }
        var response = try AdminResource.Diagnostic(asked).response(from: request, context: context)
        response.status = .accepted
        return response
    }

    func diagnostics(_ context: AdminRequestContext) async throws -> [AdminResource.Diagnostic] {
        _ = try context.administrator()
        let device = try await visibleDevice(context)
        let now = Date()
        return try await metrics.timed { try await store.diagnostics(deviceID: device.id) }.map {
            AdminResource.Diagnostic($0, now: now)
        }
    }

    /// The archive of a received bundle, as the agent made it (a gzipped tar).
    func diagnosticArchive(_ context: AdminRequestContext) async throws -> Response {
        _ = try context.administrator()
        let device = try await visibleDevice(context)
        let bundleID = try context.parameters.require("bundle")
        guard let record = try await store.diagnostics(deviceID: device.id).first(where: { $0.id == bundleID }) else {
            throw AdminError(.notFound, "notFound", "device \(device.id) has no diagnostic bundle \(bundleID)")
        }
        guard record.status == .received, let content = try await store.diagnosticContent(id: record.id) else {
            throw AdminError(
                .notFound, "notFound", "diagnostic bundle \(bundleID) has not arrived (\(AdminResource.Diagnostic(record).status))")
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/gzip", .contentDisposition: "attachment; filename=\"\(device.id)-\(record.id).tar.gz\""],
            body: .init(byteBuffer: ByteBuffer(bytes: content)))
    }
}

extension AdminResource {
    /// A diagnostic bundle asked of a device's agent.
    struct Diagnostic: ResponseCodable {
        let id: String
        let deviceId: String
        let requestedBy: String
        let requestedAt: Date
        /// `requested`, `received` or `failed`.
        let status: String
        let finishedAt: Date?
        let message: String
        let size: Int?
        let sha256: String?

        /// A request still waiting past the relay's timeout is shown as failed: the node that
        /// made it went away before it could say so.
        init(_ record: DiagnosticRecord, now: Date = Date()) {
            id = record.id
            deviceId = record.deviceID
            requestedBy = record.requestedBy
            requestedAt = record.requestedAt
            finishedAt = record.finishedAt
            size = record.size
            sha256 = record.sha256
            if record.status == .requested, now.timeIntervalSince(record.requestedAt) > DiagnosticUploads.timeout + 60 {
                status = DiagnosticRecord.Status.failed.rawValue
                message = "no bundle arrived within \(Int(DiagnosticUploads.timeout)) s of the request"
            } else {
                status = record.status.rawValue
                message = record.message
            }
        }
    }
}
