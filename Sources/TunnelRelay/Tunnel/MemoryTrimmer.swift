import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// Gives memory back to the system after a burst of connections has gone. glibc keeps the
/// heap of freed TLS buffers for reuse; after 10,000 abusive connections the relay stayed at
/// five times its baseline until `malloc_trim` (measured: `tunnel-bench faults abuse`).
struct MemoryTrimmer: Sendable {
    let limiter: NIOLockedValueBox<SourceLimiter>
    /// How often the connection count is looked at.
    let interval: Duration

    /// glibc's `malloc_trim(0)`, which Swift's Glibc module does not declare; nothing elsewhere.
    static func trim() {
        #if canImport(Glibc)
            typealias Trim = @convention(c) (Int) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }

    /// Runs until the task is cancelled: trims whenever connections were closed since the last look.
    func run() async {
        var previous = limiter.withLockedValue { $0.openConnections }
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            let now = limiter.withLockedValue { $0.openConnections }
            if now < previous { Self.trim() }
            previous = now
        }
    }
}
