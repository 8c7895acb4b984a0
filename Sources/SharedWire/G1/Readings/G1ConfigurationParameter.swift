/// CF2: a configuration parameter, read (`CF2,<id>,?`) or written / reported (`CF2,<id>,<value>`).
public struct G1ConfigurationParameter: Equatable, Sendable {
    /// Parameter number (field 1, hex).
    public let id: UInt16
    /// The value as sent, or `nil` for a read request.
    public let value: String?

    public init(id: UInt16, value: String?) {
        self.id = id
        self.value = value
    }

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("CF2")
        guard let id = UInt16(exactly: try sentence.hex(1)) else {
            throw G1FieldError(sentence: "CF2", field: 1, found: sentence.field(1), expected: "a 16-bit parameter number")
        }
        guard sentence.fields.count >= 2 else {
            throw G1FieldError(sentence: "CF2", field: 2, found: "", expected: "a value or ?")
        }
        self.id = id
        value = sentence.field(2) == "?" ? nil : sentence.field(2)
    }

    /// The sentence for this parameter.
    public var sentence: G1Sentence {
        G1Sentence(name: "CF2", fields: [String(id, radix: 16, uppercase: true), value ?? "?"])
    }
}
