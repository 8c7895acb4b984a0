/// A G1 line that could not be taken as a sentence. The decoder reports it and goes on
/// with the next line.
public enum G1DecodingError: Error, Equatable, CustomStringConvertible {
    /// The line has no comma-separated CRC or a name that is not three letters/digits.
    case malformed(line: String)
    /// The CRC does not match the text.
    case badChecksum(line: String, expected: UInt8, found: String)
    /// The line grew past `G1LineDecoder.maxLineLength` without a line end.
    case lineTooLong(length: Int)

    public var description: String {
        switch self {
        case .malformed(let line):
            "G1 line \"\(line)\" is not NAME,fields...,CC"
        case .badChecksum(let line, let expected, let found):
            "G1 line \"\(line)\" has CRC \(found), expected \(String(expected, radix: 16, uppercase: true))"
        case .lineTooLong(let length):
            "G1 line longer than \(length) bytes without CR or LF"
        }
    }
}
