import Foundation
import Hummingbird
import NIOPosix
import SharedWire
import TunnelTransport

/// Replaying a recorded session (`serve --capture`) in the browser as an annotated transcript,
/// and downloading its capture. The same people may as through `GET /v1/sessions/{id}/capture`:
/// the session's creator and administrators.
extension ConsoleRoutes {
    /// `/console/sessions/<id>/replay`: the player; its sentences come from `capture.json`.
    func replayPage(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let record = try await replayableSession(context, user: user)
        var values = Self.pageValues("Replaying session \(record.id)", user: user, session: session)
        values["session"] = Self.sessionValues(record)
        if captureExists(record) || relay.mayHaveCaptureElsewhere(record) {
            values["capture"] = [
                "sentences": "/console/sessions/\(record.id)/capture.json",
                "download": "/console/sessions/\(record.id)/capture.jsonl",
                "running": record.ending == nil,
            ]
        } else if let node = record.clientNode, node != relay.configuration.nodeName {
            values["elsewhere"] = node
        }
        return html(pages.render("replay", values))
    }

    /// The capture's sentences as JSON (`CaptureReplay`), for the player.
    func replaySentences(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, _) = try await signedIn(request)
        let record = try await replayableSession(context, user: user)
        let replay: CaptureReplay
        if let path = try? capturePath(record) {
            replay = try await NIOThreadPool.singleton.runIfActive { try CaptureReplay.read(path: path) }
        } else {
            var reader = CaptureReplay.Reader()
            for try await chunk in try await captureElsewhere(record) {
                reader.feed(Data(buffer: chunk))
                if !reader.wantsMore { break }
            }
            replay = reader.finish()
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(data: try JSONEncoder().encode(replay))))
    }

    /// The capture file itself (JSON lines), streamed in chunks.
    func captureDownload(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, _) = try await signedIn(request)
        let record = try await replayableSession(context, user: user)
        let body: ResponseBody
        if let path = try? capturePath(record) {
            body = try await FileIO(threadPool: .singleton).loadFile(path: path, context: context)
        } else {
            let chunks = try await captureElsewhere(record)
            body = ResponseBody { writer in
                for try await chunk in chunks { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/x-ndjson", .contentDisposition: "attachment; filename=\"session-\(record.id).jsonl\"",
            ],
            body: body)
    }

    /// The session's capture from the node that recorded it, when another node of the cluster
    /// did; refused as not found when none has it.
    private func captureElsewhere(_ record: SessionRecord) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        let chunks: AsyncThrowingStream<ByteBuffer, any Error>?
        do {
            chunks = try await relay.captureElsewhere(record)
        } catch let refusal as TunnelTransport.RelayRefusal where refusal.code == .captureUnavailable {
            throw ConsoleRefusal(.notFound, "session \(record.id) has no capture: \(refusal.message)")
        } catch {
            throw ConsoleRefusal(
                .conflict, "session \(record.id) was recorded on relay node \(record.clientNode ?? "?"), which did not answer: \(error)")
        }
        guard let chunks else {
            throw ConsoleRefusal(
                .notFound, "session \(record.id) has no capture on this relay node (the relay records sessions with `serve --capture`)")
        }
        return chunks
    }

    /// The session of the route's `:id`, if the user created it or is an administrator.
    private func replayableSession(_ context: AdminRequestContext, user: UserRecord) async throws -> SessionRecord {
        let record = try await visibleSession(context, user: user)
        guard user.role == .admin || record.createdBy == user.id else {
            throw ConsoleRefusal(
                .forbidden, "only the session's creator (\(record.createdBy)) or an administrator may replay its capture")
        }
        return record
    }

    func captureExists(_ record: SessionRecord) -> Bool {
        (try? capturePath(record)) != nil
    }

    /// The session's capture file on this node. Session IDs are the relay's own, but the path
    /// is built only from one whose characters are those of an ID.
    private func capturePath(_ record: SessionRecord) throws -> String {
        guard let path = CaptureReplay.path(of: record.id, in: relay.configuration.captureDirectory),
            FileManager.default.isReadableFile(atPath: path)
        else {
            throw ConsoleRefusal(
                .notFound, "session \(record.id) has no capture on this relay node (the relay records sessions with `serve --capture`)")
        }
        return path
    }
}
