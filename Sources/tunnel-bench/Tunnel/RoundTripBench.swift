import Histogram
import NIOCore

/// The round-trip measurements: one request of `payloadSize` bytes outstanding at a time
/// over a byte channel whose far end echoes.
struct RoundTripBench: Sendable {
    let settings: BenchSettings

    /// Runs warm-up and measured round trips on `channel`, which must end in raw bytes.
    func measure(on channel: any Channel, phase: String) async throws -> LatencySummary {
        let plan = RoundTripDriver.Plan(
            phase: phase, payloadSize: settings.payloadSize, warmup: settings.warmup, count: settings.roundTrips,
            timeout: settings.phaseTimeout)
        let done = channel.eventLoop.makePromise(of: Histogram<UInt64>.self)
        do {
            try await channel.play { RoundTripDriver(plan: plan, done: done) }
        } catch {
            done.fail(error)
            throw error
        }
        return LatencySummary(try await done.futureResult.get())
    }

    /// Direct loopback TCP to an echo server: the baseline every network hop is judged by.
    func directTCP(_ server: TCPEchoServer, from group: any EventLoopGroup) async throws -> LatencySummary {
        let channel = try await server.connect(from: group)
        defer { channel.close(promise: nil) }
        return try await measure(on: channel, phase: "direct TCP round trips")
    }

    /// Client on a PTY's slave, echo on its master: the cost of the PTY alone.
    func directPTY(_ slave: any Channel, device: PTYDevice) async throws -> LatencySummary {
        try await device.channel.play { EchoHandler() }
        return try await measure(on: slave, phase: "direct PTY round trips")
    }

    /// Client → relay → agent → the agent's serial device (a PTY slave), echoed on the master.
    func tunnel(_ session: TunnelSession, device: PTYDevice) async throws -> LatencySummary {
        try await device.channel.play { EchoHandler() }
        return try await measure(on: session.channel, phase: "tunnel round trips")
    }
}
