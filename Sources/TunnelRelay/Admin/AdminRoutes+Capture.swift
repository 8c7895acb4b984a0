import Foundation
import Hummingbird
import NIOCore
import SharedWire
import TunnelTransport

/// `GET /v1/sessions/{id}/capture`: a recorded session's capture file, from this node or from
/// the node of the cluster that recorded it.
extension AdminRoutes {
    /// A session's capture (JSON lines), for its creator or an administrator.
    func capture(_ context: AdminRequestContext) async throws -> Response {
        let user = try context.caller()
        let session = try await visibleSession(context)
        guard user.role == .admin || session.createdBy == user.id else {
            throw AdminError(
                .forbidden, "forbidden", "only the session's creator (\(session.createdBy)) or an administrator may download its capture")
        }
        let body: ResponseBody
        if let path = CaptureReplay.path(of: session.id, in: relay.configuration.captureDirectory),
            FileManager.default.isReadableFile(atPath: path)
        {
            // Streamed from the file in chunks: a long session's capture never sits in memory whole.
            body = try await FileIO(threadPool: .singleton).loadFile(path: path, context: context)
        } else {
            // Recorded on another node of the cluster (the one that held the client), if at all.
            let chunks: AsyncThrowingStream<ByteBuffer, any Error>?
            do {
                chunks = try await relay.captureElsewhere(session)
            } catch let refusal as TunnelTransport.RelayRefusal where refusal.code == .captureUnavailable {
                chunks = nil
            } catch {
                throw AdminError(
                    .conflict, "conflict",
                    "session \(session.id) was recorded on relay node \(session.clientNode ?? "?"), which did not answer: \(error)")
            }
            guard let chunks else {
                throw AdminError(
                    .notFound, "notFound", "session \(session.id) has no capture (the relay records sessions with `serve --capture`)")
            }
            body = ResponseBody { writer in
                for try await chunk in chunks { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson", .contentDisposition: "attachment; filename=\"\(session.id).jsonl\""],
            body: body)
    }
}
