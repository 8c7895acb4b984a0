import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// Watching a live session in the browser: every G1 sentence that crosses the relay, with its
/// direction, time, name and meaning, read-only. The session's bytes pass through the node that
/// holds its client, so that node serves the watch; anyone who may open a monitor session on
/// the device may watch.
extension ConsoleRoutes {
    /// How often the watchers are looked at, and sent when they changed.
    static let watchersInterval = Duration.seconds(2)

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
        let shown = NIOLockedValueBox<[String]?>(nil)
        return eventStream(
            session: session, items: sentences, tick: Self.watchersInterval,
            render: { sentence in
                ServerSentEvent.text(event: "sentence", data: String(decoding: try JSONEncoder().encode(sentence), as: UTF8.self))
            },
            onTick: {
                // Who watches, whenever that changed.
                let now = tap.watchers
                guard shown.withLockedValue({ $0 }) != now else { return nil }
                shown.withLockedValue { $0 = now }
                return ServerSentEvent.text(event: "watchers", data: String(decoding: try JSONEncoder().encode(now), as: UTF8.self))
            },
            onEnd: { tap.isFinished ? ServerSentEvent.text(event: "ended", data: "the session ended") : nil })
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
