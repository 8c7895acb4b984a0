/// Faults the simulator injects for tests: what goes wrong on the line and when the BMS
/// falls silent. All off by default.
public struct FaultConfiguration: Sendable {
    /// Probability (0...1) that a line of random garbage (1–24 bytes, never CR or LF, then
    /// CR LF) goes out before each G1 sentence. Sentences stay whole.
    public let noise: Double
    /// Probability (0...1) that each byte the simulator sends on G1 is dropped.
    public let dropBytes: Double
    /// Seconds every answer to a request waits before it goes out (broadcasts keep time).
    public let answerDelay: Double
    /// Seconds after start from which the BMS is silent for good; nil for never.
    public let silentAfter: Double?
    /// While a file exists at this path the BMS is silent; nil for no such file.
    public let silenceFile: String?
    /// Seed of the noise and drop decisions, so a faulty run can be repeated.
    public let seed: UInt64

    public init(
        noise: Double = 0, dropBytes: Double = 0, answerDelay: Double = 0, silentAfter: Double? = nil,
        silenceFile: String? = nil, seed: UInt64 = 1
    ) {
        self.noise = noise
        self.dropBytes = dropBytes
        self.answerDelay = answerDelay
        self.silentAfter = silentAfter
        self.silenceFile = silenceFile
        self.seed = seed
    }

    /// True when the BMS is silent `elapsed` seconds after start, given whether the silence
    /// file exists. Silent means: received G1 lines are journaled but neither applied nor
    /// answered, nothing is broadcast, and no CAN frames go out (the slcan adapter still
    /// answers its own commands).
    public func isSilent(elapsed: Double, silenceFileExists: Bool) -> Bool {
        if let silentAfter, elapsed >= silentAfter { return true }
        return silenceFile != nil && silenceFileExists
    }
}
