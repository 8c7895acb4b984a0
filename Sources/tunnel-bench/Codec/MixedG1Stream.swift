import NIOCore
import SharedWire

/// A byte stream of the summary sentences a BMS broadcasts, and the two ways to decode it.
enum MixedG1Stream {
    static let lines = [
        "CV1,0000187B,FF83,,,,,,,,", "BV1,10,BF,C1,BF,0000187B,", "BC1,000464CE,00057E40,1F3E",
        "BT1,10,7C,7F,7D,", "ST1,03,00,00,0010,17,0000,00,00", "BB1,10,00,FF,80,,BE",
    ]

    /// `sentences` lines cycling through `lines`, each with its CRC and CR LF.
    static func make(sentences: Int) -> ByteBuffer {
        let encoded = lines.map { text -> String in
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return G1Sentence(name: parts[0], fields: Array(parts.dropFirst())).line
        }
        var buffer = ByteBuffer()
        for index in 0..<sentences { buffer.writeString(encoded[index % encoded.count]) }
        return buffer
    }

    /// Splits the stream into CRC-checked sentences; returns how many.
    static func decodeLines(_ stream: ByteBuffer) throws -> Int {
        var buffer = stream
        var decoder = G1LineDecoder()
        var count = 0
        while let output = try decoder.decode(buffer: &buffer) {
            if case .sentence = output { count += 1 }
        }
        return count
    }

    /// Splits and decodes each sentence into its typed reading; returns how many.
    static func decodeReadings(_ stream: ByteBuffer) throws -> Int {
        var buffer = stream
        var decoder = G1LineDecoder()
        var count = 0
        while let output = try decoder.decode(buffer: &buffer) {
            guard case .sentence(let sentence) = output else { continue }
            if case .other = try G1Reading(sentence) { continue }  // every line here has a typed decoder
            count += 1
        }
        return count
    }
}
