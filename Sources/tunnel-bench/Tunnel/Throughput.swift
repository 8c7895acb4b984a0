/// One bulk transfer: how many bytes, from the first byte written to the last byte received.
struct Throughput: Sendable {
    let bytes: Int
    let duration: Duration

    /// Megabytes (10^6 bytes) per second.
    var megabytesPerSecond: Double { Double(bytes) / 1e6 / duration.seconds }
}
