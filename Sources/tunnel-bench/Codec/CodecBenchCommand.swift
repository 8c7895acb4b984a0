import ArgumentParser
import Foundation
import NIOCore
import SharedWire

/// `tunnel-bench codec`: how many G1 sentences per second one core decodes, from bytes to
/// checked sentences and on to typed readings.
struct CodecBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "G1 and CAN decode throughput on one core: framing, typed readings, the params_config engine.")

    @Option(help: "Sentences in the stream decoded per pass.")
    var sentences = 100_000

    @Option(help: "Seconds to keep decoding per measurement.")
    var seconds = 3.0

    @Flag(help: "Smoke test: 1,000 sentences for 0.2 s.")
    var quick = false

    func run() throws {
        let count = quick ? 1_000 : sentences
        let duration = quick ? 0.2 : seconds
        let stream = MixedG1Stream.make(sentences: count)
        print("tunnel-bench codec: \(count) mixed summary sentences (\(stream.readableBytes) bytes) per pass, one core")
        let framing = try Self.measure(seconds: duration, sentencesPerPass: count) { try MixedG1Stream.decodeLines(stream) }
        let typed = try Self.measure(seconds: duration, sentencesPerPass: count) { try MixedG1Stream.decodeReadings(stream) }
        print(
            String(
                format: "  lines → checked sentences (CRC)          %12.0f sentences/s  (%6.1f MB/s)",
                framing, framing * Double(stream.readableBytes) / Double(count) / 1e6))
        print(String(format: "  lines → typed readings (fields, scaling)  %12.0f sentences/s", typed))
        let engine = try EngineStreams.make()
        let passes = max(1, count / engine.sentences.count / 10)
        let (telemetry, valuesPerSentence) = try Self.measureEngine(seconds: duration) { engine.decodeSentences(passes: passes) }
        let (canRate, signalsPerFrame) = try Self.measureEngine(seconds: duration) { engine.decodeFrames(passes: passes) }
        print(
            String(
                format: "  sentences → telemetry (params_config)     %12.0f sentences/s  (%.1f values each)", telemetry, valuesPerSentence))
        print(
            String(
                format: "  CAN frames → telemetry (params_config)    %12.0f frames/s     (%.1f signals each, %.0f signals/s)",
                canRate, signalsPerFrame, canRate * signalsPerFrame))
        let target = 1_000_000.0
        print(String(format: "  target > 1,000,000 sentences/s (typed):   %@", typed > target ? "PASS" : "MISS"))
    }

    /// Runs `pass` for `seconds`; returns items per second and values per item.
    static func measureEngine(seconds: Double, _ pass: () -> (items: Int, values: Int)) throws -> (Double, Double) {
        _ = pass()
        let clock = ContinuousClock()
        let start = clock.now
        var items = 0
        var values = 0
        while (clock.now - start) < .milliseconds(Int64(seconds * 1000)) {
            let result = pass()
            items += result.items
            values += result.values
        }
        let elapsed = clock.now - start
        let secondsTaken = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard items > 0, values > 0 else { throw ValidationError("the engine decoded nothing: check params_config.json") }
        return (Double(items) / secondsTaken, Double(values) / Double(items))
    }

    /// Runs `pass` until `seconds` have gone by; returns sentences per second.
    static func measure(seconds: Double, sentencesPerPass: Int, _ pass: () throws -> Int) throws -> Double {
        _ = try pass()  // warm-up
        let clock = ContinuousClock()
        let start = clock.now
        var decoded = 0
        while (clock.now - start) < .milliseconds(Int64(seconds * 1000)) {
            let got = try pass()
            guard got == sentencesPerPass else {
                throw ValidationError("decoded \(got) sentences of \(sentencesPerPass): the decoder lost some")
            }
            decoded += got
        }
        let elapsed = clock.now - start
        return Double(decoded) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
