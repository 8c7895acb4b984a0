import Foundation
import Hummingbird
import NIOCore

/// A device's live telemetry on its page, as server-sent events: its latest values first, then
/// each record its agent reports, from this node or from the node holding the agent.
extension ConsoleRoutes {
    func telemetryEvents(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await signedIn(request)
        let device = try await visibleDevice(context, user: user)
        let elsewhere: NodeTelemetryFeed?
        do {
            elsewhere = try await relay.telemetryElsewhere(device)
        } catch {
            throw ConsoleRefusal(
                .conflict,
                "the relay node holding the agent of \(device.id) (\(device.presence.relayNode ?? "?")) could not be reached: \(error)")
        }
        let latest: LiveTelemetry.Snapshot
        let records: AsyncStream<String>
        if let elsewhere {
            (latest, records) = (elsewhere.latest, elsewhere.records)
        } else if let stream = relay.telemetry.stream(deviceID: device.id) {
            (latest, records) = (relay.telemetry.snapshot(deviceID: device.id) ?? .init(), stream)
        } else {
            throw ConsoleRefusal(
                .tooManyRequests, "device \(device.id) has \(LiveTelemetry.maxStreamsPerDevice) live streams open already")
        }
        return eventStream(
            session: session, first: latest.records(), items: records, tick: Self.streamCheckInterval,
            render: { ServerSentEvent.text(event: "record", data: $0) })
    }
}
