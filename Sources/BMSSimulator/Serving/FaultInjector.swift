import SharedWire

/// Turns the sentences to send into the bytes that go out, with the configured noise and
/// dropped bytes. Pure: the randomness is a seeded generator.
struct FaultInjector: Sendable {
    /// Longest line of noise, bytes.
    static let maxNoiseLength = 24

    private let noise: Double
    private let dropBytes: Double
    private var random: SplitMix64

    init(_ faults: FaultConfiguration, stream: UInt64 = 0) {
        noise = faults.noise
        dropBytes = faults.dropBytes
        random = SplitMix64(seed: faults.seed &+ stream &* 0x9E37_79B9)
    }

    /// The bytes for `sentences`: each line, a noise line before it at the noise rate, every
    /// byte then dropped at the drop rate.
    mutating func bytes(for sentences: [G1Sentence]) -> [UInt8] {
        var out: [UInt8] = []
        for sentence in sentences {
            if noise > 0, Double.random(in: 0..<1, using: &random) < noise { out += noiseLine() }
            out += Array(sentence.line.utf8)
        }
        guard dropBytes > 0 else { return out }
        return out.filter { _ in Double.random(in: 0..<1, using: &random) >= dropBytes }
    }

    /// Random bytes without CR or LF, then CR LF.
    private mutating func noiseLine() -> [UInt8] {
        let count = Int.random(in: 1...Self.maxNoiseLength, using: &random)
        let garbage = (0..<count).map { _ -> UInt8 in
            let byte = UInt8.random(in: 0...255, using: &random)
            return byte == 0x0D || byte == 0x0A ? 0x7E : byte
        }
        return garbage + [0x0D, 0x0A]
    }
}
