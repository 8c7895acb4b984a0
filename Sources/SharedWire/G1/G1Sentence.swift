/// One EMUS G1 sentence: a three-character name and its fields, without CRC and line end.
public struct G1Sentence: Equatable, Sendable, CustomStringConvertible {
    /// The sentence name, for example `CV1`.
    public var name: String
    /// The fields after the name; a field may be empty.
    public var fields: [String]

    public init(name: String, fields: [String]) {
        self.name = name
        self.fields = fields
    }

    /// A request for a reading sentence: `NAME,?`.
    public static func request(_ name: String) -> G1Sentence {
        G1Sentence(name: name, fields: ["?"])
    }

    /// True when this is a plain read request (`NAME,?`).
    public var isRequest: Bool { fields == ["?"] }

    /// The bytes the CRC covers: name and fields, each followed by a comma.
    public var checkedText: String {
        ([name] + fields).map { $0 + "," }.joined()
    }

    /// The full line: checked text, two uppercase hex CRC digits, CR LF.
    public var line: String {
        let text = checkedText
        let crc = G1CRC.checksum(text.utf8)
        let hex = String(crc, radix: 16, uppercase: true)
        return text + (crc < 0x10 ? "0" + hex : hex) + "\r\n"
    }

    public var description: String { checkedText + "CC" }
}
