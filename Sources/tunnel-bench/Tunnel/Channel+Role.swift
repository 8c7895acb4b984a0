import NIOCore

extension Channel {
    /// Name of the one handler at the end of a benchmark channel's pipeline that plays the
    /// current phase (echo, round-trip driver, bulk sender or receiver).
    static var roleHandlerName: String { "bench-role" }

    /// Replaces the phase handler at the end of the pipeline with one made by `make` on the
    /// channel's event loop.
    func play(_ make: @escaping @Sendable () -> any RemovableChannelHandler) async throws {
        let channel = self
        try await eventLoop.submit {
            let sync = channel.pipeline.syncOperations
            if (try? sync.context(name: Self.roleHandlerName)) != nil {
                // The default removal is immediate: the name is free again at once.
                sync.removeHandler(name: Self.roleHandlerName, promise: nil)
            }
            try sync.addHandler(make(), name: Self.roleHandlerName)
        }.get()
    }
}
