import Foundation
import Hummingbird
import NIOCore

/// A device's live telemetry on its page, as server-sent events: its latest values first, then
/// each record its agent reports, from this node or from the node holding the agent.
extension ConsoleRoutes {
    /// How often a quiet stream sends a comment, and checks that its session still holds.
    static let telemetryCheckInterval = Duration.seconds(15)

    func telemetryEvents(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let device = try await visibleDevice(context, user: user)
        let latest: LiveTelemetry.Snapshot
        let records: AsyncStream<String>
        do {
            if let elsewhere = try await relay.telemetryElsewhere(device) {
                (latest, records) = (elsewhere.latest, elsewhere.records)
            } else if let stream = relay.telemetry.stream(deviceID: device.id) {
                (latest, records) = (relay.telemetry.snapshot(deviceID: device.id) ?? .init(), stream)
            } else {
                throw ConsoleRefusal(
                    .tooManyRequests, "device \(device.id) has \(LiveTelemetry.maxStreamsPerDevice) live streams open already")
            }
        } catch let refusal as ConsoleRefusal {
            throw refusal
        } catch {
            throw ConsoleRefusal(
                .conflict,
                "the relay node holding the agent of \(device.id) (\(device.presence.relayNode ?? "?")) could not be reached: \(error)")
        }
        let store = self.store
        let tokenHash = session.tokenHash
        let body = ResponseBody { writer in
            // One queue for the records and the checks, read here only: the writer stays in this task.
            let (events, feed) = AsyncStream.makeStream(of: String?.self, bufferingPolicy: .bufferingNewest(LiveTelemetry.streamBuffer))
            for record in latest.records() { feed.yield(record) }
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for await record in records { feed.yield(record) }
                    feed.finish()
                }
                tasks.addTask {
                    while (try? await Task.sleep(for: Self.telemetryCheckInterval)) != nil { feed.yield(nil) }
                }
                for await event in events {
                    if let record = event {
                        try await writer.write(ByteBuffer(string: ServerSentEvent.text(event: "record", data: record)))
                        continue
                    }
                    // A signed-out or expired session ends the stream.
                    guard let current = try await store.consoleSession(tokenHash: tokenHash),
                        ConsoleSessionPolicy.verdict(for: current, now: Date()) != .expired
                    else { break }
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
                tasks.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }
}
