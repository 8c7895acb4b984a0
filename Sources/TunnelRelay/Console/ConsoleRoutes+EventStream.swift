import Foundation
import Hummingbird
import NIOCore

/// Server-sent event streams of the console's live pages, for one signed-in session.
extension ConsoleRoutes {
    /// How often a stream checks that its sign-in still holds, and the longest it stays silent
    /// (a keep-alive comment then, so that proxies keep it open).
    static let streamCheckInterval = Duration.seconds(15)

    /// Whether the console session of `tokenHash` is still signed in and not expired.
    static func signInHolds(_ store: any RelayStore, tokenHash: [UInt8]) async throws -> Bool {
        guard let current = try await store.consoleSession(tokenHash: tokenHash) else { return false }
        return ConsoleSessionPolicy.verdict(for: current, now: Date()) != .expired
    }

    /// `first`, then each of `items` as it comes, worded by `render`; every `tick` (and once at
    /// the start) what `onTick` has to say. The stream ends when `items` ends (with `onEnd`'s
    /// text last) or when the sign-in no longer holds. The writer is used in the body's task only:
    /// items and ticks meet in one queue that it reads.
    func eventStream<Item: Sendable>(
        session: ConsoleSessionRecord, first: [Item] = [], items: AsyncStream<Item>, tick: Duration,
        render: @escaping @Sendable (Item) throws -> String,
        onTick: @escaping @Sendable () throws -> String? = { nil },
        onEnd: @escaping @Sendable () -> String? = { nil }
    ) -> Response {
        let store = self.store
        let tokenHash = session.tokenHash
        let body = ResponseBody { writer in
            let (events, feed) = AsyncStream.makeStream(of: Item?.self, bufferingPolicy: .bufferingNewest(1_024))
            for item in first { feed.yield(item) }
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for await item in items { feed.yield(item) }
                    feed.finish()
                }
                tasks.addTask {
                    feed.yield(nil)
                    while (try? await Task.sleep(for: tick)) != nil { feed.yield(nil) }
                }
                let clock = ContinuousClock()
                var (checked, wrote) = (clock.now, clock.now)
                var signedOut = false
                for await event in events {
                    let text: String?
                    if let item = event {
                        text = try render(item)
                    } else {
                        if clock.now - checked >= Self.streamCheckInterval {
                            checked = clock.now
                            guard try await Self.signInHolds(store, tokenHash: tokenHash) else {
                                signedOut = true
                                break
                            }
                        }
                        text = try onTick() ?? (clock.now - wrote >= Self.streamCheckInterval ? ": keep-alive\n\n" : nil)
                    }
                    guard let text else { continue }
                    try await writer.write(ByteBuffer(string: text))
                    wrote = clock.now
                }
                if !signedOut, let last = onEnd() { try await writer.write(ByteBuffer(string: last)) }
                tasks.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }
}
