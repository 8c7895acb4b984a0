import Logging
import ServiceLifecycle

/// Keeps a device the agent reads (the serial line, the CAN bus) in use for as long as the
/// agent runs: opens it, uses it until it goes away, and tries again with backoff. An outage is
/// logged once at warning level (the retries at debug) and its end at notice; the agent never
/// stops for it.
struct DeviceWatch {
    /// What the device is, for the logs' `device` metadata: "serial port", "CAN bus".
    let name: String
    /// Log metadata naming the device.
    let metadata: Logger.Metadata
    let retryMax: Double
    let logger: Logger

    /// Runs until graceful shutdown: `open` the device, then `use` it until it is gone (the
    /// reason), then again after a backoff.
    func run<Device>(open: () async throws -> Device, use: (Device) async -> String) async {
        var backoff = ReconnectBackoff(initial: 0.5, maximum: retryMax)
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let device = try await open()
                if failures > 0 { logger.notice("Device available again", metadata: metadata.merging(["device": "\(name)"]) { $1 }) }
                failures = 0
                backoff.reset()
                let reason = await use(device)
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                logger.warning("Device lost", metadata: metadata.merging(["device": "\(name)", "reason": "\(reason)"]) { $1 })
            } catch {
                failures += 1
                logger.log(
                    level: failures == 1 ? .warning : .debug, "Device unavailable",
                    metadata: metadata.merging(["device": "\(name)", "error": "\(error)", "attempt": "\(failures)"]) { $1 })
            }
            let delay = backoff.nextDelay(jitter: Double.random(in: 0...1))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
        }
    }
}
