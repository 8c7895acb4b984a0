import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// Live presence for the rows of a page, as server-sent events.
///
/// The store is the one place every relay node writes presence to, so the stream reads it
/// once a second and sends what changed: it works the same on one node and in a cluster,
/// and a change shows within about a second.
extension ConsoleRoutes {
    /// How often the store is read for each open stream.
    static let presencePollInterval = Duration.seconds(1)
    /// A comment line this often keeps proxies from closing a quiet stream.
    static let presenceKeepAliveEvery = 15
    /// Live presence streams a relay node serves at once: each reads the store once a second.
    static let maxPresenceStreams = 256

    func presenceEvents(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let text = request.uri.queryParameters.get("ids") ?? ""
        let ids = text.split(separator: ",").map(String.init)
        guard !ids.isEmpty, ids.count <= FleetQuery.pageSize else {
            throw ConsoleRefusal(
                .badRequest, "ids: expected 1 to \(FleetQuery.pageSize) device IDs separated by commas, found \(ids.count)")
        }
        for id in ids {
            do { try DeviceRecord.validate(id: id) } catch { throw ConsoleRefusal(.badRequest, "ids: \(error)") }
        }
        let store = self.store
        let tokenHash = session.tokenHash
        let body = ResponseBody { [streams] writer in
            // A slot per open stream, given back however the stream ends.
            let admitted = streams.withLockedValue { open -> Bool in
                guard open < Self.maxPresenceStreams else { return false }
                open += 1
                return true
            }
            guard admitted else {
                try await writer.write(ByteBuffer(string: "retry: 10000\n: too many live presence streams on this relay\n\n"))
                try await writer.finish(nil)
                return
            }
            defer { streams.withLockedValue { $0 -= 1 } }
            var last: [String: Bool] = [:]
            var ticks = 0
            while !Task.isCancelled {
                // A signed-out or expired session ends the stream.
                guard try await Self.signInHolds(store, tokenHash: tokenHash) else { break }
                var events = ""
                for device in try await store.devices(ids: ids) where user.maySee(device) && last[device.id] != device.presence.online {
                    last[device.id] = device.presence.online
                    events += Self.presenceEvent(id: device.id, online: device.presence.online, lastSeen: device.presence.lastSeenAt)
                }
                ticks += 1
                if events.isEmpty && ticks % Self.presenceKeepAliveEvery == 0 { events = ": keep-alive\n\n" }
                if !events.isEmpty { try await writer.write(ByteBuffer(string: events)) }
                try await Task.sleep(for: Self.presencePollInterval)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// One `presence` event: JSON with the device ID, whether it is online, and when last seen.
    static func presenceEvent(id: String, online: Bool, lastSeen: Date?) -> String {
        struct Change: Encodable {
            let id: String
            let online: Bool
            let lastSeen: String?
        }
        let data = (try? JSONEncoder().encode(Change(id: id, online: online, lastSeen: lastSeen.map { time($0) }))) ?? Data()
        return "event: presence\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
    }
}
