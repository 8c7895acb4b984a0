import NIOCore

extension ByteBuffer {
    /// Writes a sentence as a full line with CRC and CR LF.
    @discardableResult
    public mutating func writeG1Sentence(_ sentence: G1Sentence) -> Int {
        self.writeString(sentence.line)
    }
}

extension G1Sentence {
    /// Parses one line without its line end. Accepts a lowercase CRC.
    public init(line: String) throws {
        guard let lastComma = line.lastIndex(of: ",") else { throw G1DecodingError.malformed(line: line) }
        let checked = line[...lastComma]
        let crcText = line[line.index(after: lastComma)...]
        var parts = checked.dropLast().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let name = parts.removeFirst()
        guard name.utf8.count == 3, name.utf8.allSatisfy({ $0.isASCIIAlphanumeric }), crcText.count == 2,
              let crc = UInt8(crcText, radix: 16)
        else { throw G1DecodingError.malformed(line: line) }
        let expected = G1CRC.checksum(checked.utf8)
        guard crc == expected else {
            throw G1DecodingError.badChecksum(line: line, expected: expected, found: String(crcText))
        }
        self.init(name: name, fields: parts)
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
}
