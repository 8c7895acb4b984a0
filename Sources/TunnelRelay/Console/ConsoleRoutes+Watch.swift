import Foundation
import Hummingbird
import NIOCore

/// Watching a live session in the browser: every G1 sentence that crosses the relay, with its
/// direction, time, name and meaning, read-only. The session's bytes pass through the node that
/// holds its client, so that node serves the watch; anyone who may open a monitor session on
/// the device may watch.
extension ConsoleRoutes {
    /// How often the watchers are sent again when they changed, and a quiet stream's sign-in checked.
    static let watchCheckInterval = Duration.seconds(2)

    func watchPage(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let record = try await watchableSession(context, user: user)
        var values = Self.pageValues("Watching session \(record.id)", user: user, session: session)
        values["session"] = Self.sessionValues(record)
        if relay.broker.tap(sessionID: record.id) != nil {
            values["events"] = "/console/sessions/\(record.id)/watch/events"
        } else if record.ending == nil, let node = record.clientNode, node != relay.configuration.nodeName {
            values["elsewhere"] = node
        }
        return html(pages.render("watch", values))
    }

    func watchEvents(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let record = try await watchableSession(context, user: user)
        guard let tap = relay.broker.tap(sessionID: record.id) else {
            throw ConsoleRefusal(.notFound, "session \(record.id) is not running on this relay node")
        }
        guard let sentences = tap.watch(by: user.id) else {
            throw ConsoleRefusal(.tooManyRequests, "session \(record.id) has \(SessionTap.maxWatchers) watchers already")
        }
        logger.info("Session watched in the browser", metadata: ["session.id": "\(record.id)", "user": "\(user.id)"])
        let store = self.store
        let tokenHash = session.tokenHash
        let body = ResponseBody { writer in
            // Sentences and checks in one queue, read here only: the writer stays in this task.
            let (events, feed) = AsyncStream.makeStream(of: SessionTap.Sentence?.self, bufferingPolicy: .bufferingNewest(1_024))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for await sentence in sentences { feed.yield(sentence) }
                    feed.finish()
                }
                tasks.addTask {
                    feed.yield(nil)
                    while (try? await Task.sleep(for: Self.watchCheckInterval)) != nil { feed.yield(nil) }
                }
                let encoder = JSONEncoder()
                var watchers: [String] = []
                var checks = 0
                for await event in events {
                    if let sentence = event {
                        let data = String(decoding: try encoder.encode(sentence), as: UTF8.self)
                        try await writer.write(ByteBuffer(string: ServerSentEvent.text(event: "sentence", data: data)))
                        continue
                    }
                    checks += 1
                    if checks % 8 == 0 {
                        // A signed-out or expired session ends the stream.
                        guard let current = try await store.consoleSession(tokenHash: tokenHash),
                            ConsoleSessionPolicy.verdict(for: current, now: Date()) != .expired
                        else { break }
                    }
                    let now = tap.watchers
                    if now != watchers || checks % 8 == 0 {
                        watchers = now
                        let data = String(decoding: try encoder.encode(now), as: UTF8.self)
                        try await writer.write(ByteBuffer(string: ServerSentEvent.text(event: "watchers", data: data)))
                    }
                }
                if !Task.isCancelled, tap.isFinished {
                    try await writer.write(ByteBuffer(string: ServerSentEvent.text(event: "ended", data: "the session ended")))
                }
                tasks.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// The session of the route's `:id`, if the user may see it and open a monitor on its device.
    private func watchableSession(_ context: AdminRequestContext, user: UserRecord) async throws -> SessionRecord {
        let record = try await visibleSession(context, user: user)
        guard let device = try await store.device(id: record.deviceID), user.mayOpen(.monitor, on: device) else {
            throw ConsoleRefusal(.forbidden, "your role may not watch sessions of device \(record.deviceID)")
        }
        return record
    }
}
