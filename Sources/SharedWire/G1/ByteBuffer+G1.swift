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
        var line = line
        self = try line.withUTF8 { try G1Sentence(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Parses one line's bytes (without the line end): `NAME,field,…,field,CC`. Works on the
    /// bytes directly, so a well-formed line costs one array of (mostly inline) strings.
    init(utf8 bytes: UnsafeRawBufferPointer) throws {
        let comma = UInt8(ascii: ",")
        guard let lastComma = bytes.lastIndex(of: comma), lastComma >= 3, bytes[3] == comma,
            bytes[0].isASCIIAlphanumeric, bytes[1].isASCIIAlphanumeric, bytes[2].isASCIIAlphanumeric,
            bytes.count - lastComma == 3,
            let high = bytes[lastComma + 1].hexDigitValue, let low = bytes[lastComma + 2].hexDigitValue
        else { throw G1DecodingError.malformed(line: String(decoding: bytes, as: UTF8.self)) }
        let expected = G1CRC.checksum(UnsafeRawBufferPointer(rebasing: bytes[0...lastComma]))
        guard expected == high << 4 | low else {
            throw G1DecodingError.badChecksum(
                line: String(decoding: bytes, as: UTF8.self), expected: expected,
                found: String(decoding: bytes[(lastComma + 1)...], as: UTF8.self))
        }
        var fields: [String] = []
        if lastComma > 3 {
            var start = 4
            for index in 4...lastComma where bytes[index] == comma {
                fields.append(String(decoding: bytes[start..<index], as: UTF8.self))
                start = index + 1
            }
        }
        self.init(name: String(decoding: bytes[0..<3], as: UTF8.self), fields: fields)
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }

    /// The value of an ASCII hex digit (either case), or `nil`.
    var hexDigitValue: UInt8? {
        switch self {
        case 0x30...0x39: self - 0x30
        case 0x41...0x46: self - 0x41 + 10
        case 0x61...0x66: self - 0x61 + 10
        default: nil
        }
    }
}
