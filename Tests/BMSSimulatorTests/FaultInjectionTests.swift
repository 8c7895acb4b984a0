import NIOCore
import SharedWire
import XCTest

@testable import BMSSimulator

/// The fault injector's output and the silence rules.
final class FaultInjectionTests: XCTestCase {
    private let sentences = (0..<50).map { G1Sentence(name: "CV1", fields: [String($0), "FF83"]) }

    func testNoiseGoesBetweenWholeSentences() throws {
        var injector = FaultInjector(FaultConfiguration(noise: 1, seed: 7))
        let bytes = injector.bytes(for: sentences)
        var decoder = G1LineDecoder()
        var buffer = ByteBuffer(bytes: bytes)
        var decoded: [G1Sentence] = []
        var invalid = 0
        while let output = try decoder.decode(buffer: &buffer) {
            switch output {
            case .sentence(let sentence): decoded.append(sentence)
            case .invalid: invalid += 1
            }
        }
        XCTAssertEqual(decoded, sentences, "every sentence arrives whole and in order")
        XCTAssertGreaterThan(invalid, 0, "noise lines are there to skip")
        XCTAssertGreaterThan(bytes.count, sentences.map(\.line.utf8.count).reduce(0, +))
    }

    func testDroppedBytesAreRepeatableWithTheSeed() {
        var first = FaultInjector(FaultConfiguration(dropBytes: 0.1, seed: 3))
        var second = FaultInjector(FaultConfiguration(dropBytes: 0.1, seed: 3))
        let clean = sentences.flatMap { Array($0.line.utf8) }
        let dropped = first.bytes(for: sentences)
        XCTAssertEqual(dropped, second.bytes(for: sentences), "same seed, same faults")
        XCTAssertEqual(Double(dropped.count), Double(clean.count) * 0.9, accuracy: Double(clean.count) * 0.03)
        var clear = FaultInjector(FaultConfiguration())
        XCTAssertEqual(clear.bytes(for: sentences), clean, "no faults by default")
    }

    func testSilenceAfterAndWhileTheFileExists() {
        let after = FaultConfiguration(silentAfter: 10)
        XCTAssertFalse(after.isSilent(elapsed: 9.9, silenceFileExists: false))
        XCTAssertTrue(after.isSilent(elapsed: 10, silenceFileExists: false))
        let file = FaultConfiguration(silenceFile: "/tmp/x")
        XCTAssertFalse(file.isSilent(elapsed: 100, silenceFileExists: false))
        XCTAssertTrue(file.isSilent(elapsed: 0, silenceFileExists: true))
        XCTAssertFalse(FaultConfiguration().isSilent(elapsed: 1e9, silenceFileExists: true), "no file configured")
    }
}
