/// Everything one run measured.
struct RunResult: Sendable {
    let tcp: LatencySummary
    let pty: LatencySummary
    let tunnel: LatencySummary
    let tunnelUp: Throughput
    let tunnelDown: Throughput
    let ptyUp: Throughput
    let ptyDown: Throughput

    /// Tunnel p50 minus direct TCP p50, in nanoseconds (negative if the tunnel was faster).
    var addedOverTCP: Int64 { Int64(tunnel.p50) - Int64(tcp.p50) }
    /// Tunnel p50 minus direct PTY p50, in nanoseconds.
    var addedOverPTY: Int64 { Int64(tunnel.p50) - Int64(pty.p50) }
}
