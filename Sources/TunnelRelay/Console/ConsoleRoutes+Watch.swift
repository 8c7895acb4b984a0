import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import SharedWire
import TunnelTransport

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
        if relay.broker.tap(sessionID: record.id) != nil || relay.mayWatchElsewhere(record) {
            values["events"] = "/console/sessions/\(record.id)/watch/events"
        } else if record.ending == nil, let node = record.clientNode, node != relay.configuration.nodeName {
            values["elsewhere"] = node
        }
        return html(pages.render("watch", values))
    }

    func watchEvents(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let record = try await watchableSession(context, user: user)
        let (sentences, watchers, finished) = try await watchFeed(record, user: user)
        logger.info("Session watched in the browser", metadata: ["session.id": "\(record.id)", "user": "\(user.id)"])
        let shown = NIOLockedValueBox<[String]?>(nil)
        return eventStream(
            session: session, items: sentences, tick: Self.watchersInterval,
            render: { sentence in
                ServerSentEvent.text(event: "sentence", data: String(decoding: try JSONEncoder().encode(sentence), as: UTF8.self))
            },
            onTick: {
                // Who watches, whenever that changed.
                let now = watchers()
                guard shown.withLockedValue({ $0 }) != now else { return nil }
                shown.withLockedValue { $0 = now }
                return ServerSentEvent.text(event: "watchers", data: String(decoding: try JSONEncoder().encode(now), as: UTF8.self))
            },
            onEnd: { finished() ? ServerSentEvent.text(event: "ended", data: "the session ended") : nil })
    }

    /// The session's sentences, who watches it, and whether it ended: from its tap when its
    /// client is on this node, else through the node that holds it.
    private func watchFeed(_ record: SessionRecord, user: UserRecord) async throws -> (
        AsyncStream<SessionTap.Sentence>, @Sendable () -> [String], @Sendable () -> Bool
    ) {
        if let tap = relay.broker.tap(sessionID: record.id) {
            guard let sentences = tap.watch(by: user.id) else {
                throw ConsoleRefusal(.tooManyRequests, "session \(record.id) has \(SessionTap.maxWatchers) watchers already")
            }
            return (sentences, { tap.watchers }, { tap.isFinished })
        }
        let feed: NodeWatchFeed?
        do {
            feed = try await relay.watchElsewhere(record, by: user.id)
        } catch let refusal as TunnelTransport.RelayRefusal where refusal.code == .limitReached {
            throw ConsoleRefusal(.tooManyRequests, "session \(record.id) has \(SessionTap.maxWatchers) watchers already")
        } catch let refusal as TunnelTransport.RelayRefusal where refusal.code == .sessionEnded {
            throw ConsoleRefusal(.notFound, "session \(record.id) is not running: \(refusal.message)")
        } catch {
            throw ConsoleRefusal(
                .conflict, "session \(record.id) runs on relay node \(record.clientNode ?? "?"), which did not answer: \(error)")
        }
        guard let feed else { throw ConsoleRefusal(.notFound, "session \(record.id) is not running on this relay node") }
        return (feed.sentences, { feed.watchers.withLockedValue { $0 } }, { feed.ended.withLockedValue { $0 } })
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
