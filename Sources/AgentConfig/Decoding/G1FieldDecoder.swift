/// Decodes one G1 param from a sentence's fields (text, as `G1Sentence` holds them).
enum G1FieldDecoder {
    /// Most hex digits read into one number (64 bits).
    static let maxHexDigits = 16

    /// The param's value, or nil when its field is absent, empty or not what its encoding reads.
    static func decode(_ param: ParamsConfig.G1Param, fields: [String]) -> TelemetryValue.Value? {
        guard param.field <= fields.count else { return nil }
        let text = fields[param.field - 1]
        guard !text.isEmpty else { return nil }
        let scaling = param.scaling
        switch param.encoding {
        case .string:
            return .text(text)
        case .bytes:
            guard let bytes = bytes(text) else { return nil }
            let elements: [Double?] = bytes.map { scaling.scaled(scaling.number(raw: UInt64($0), width: 8)) }
            guard let first = firstIndex(param, fields: fields) else { return nil }
            return .list(first: first, elements: elements)
        case .hex, .hexDec:
            guard let raw = hex(text, bigEndian: scaling.bigEndian) else { return nil }
            if let bit = param.bit { return .flag(raw >> UInt64(bit) & 1 == 1) }
            return scaling.value(scaling.scaled(scaling.number(raw: raw, width: text.count * 4)))
        case .dec:
            if let bit = param.bit {
                guard let integer = Int64(text) else { return nil }
                return .flag(integer >> Int64(bit) & 1 == 1)
            }
            guard let number = Double(text), number.isFinite else { return nil }
            return scaling.value(scaling.scaled(number))
        }
    }

    /// Hex digits as a number; little-endian text (`big_end` false) has its byte pairs reversed first.
    static func hex(_ text: String, bigEndian: Bool) -> UInt64? {
        guard text.count <= maxHexDigits, text.allSatisfy(\.isHexDigit) else { return nil }
        guard !bigEndian, text.count % 2 == 0, let bytes = bytes(text) else { return UInt64(text, radix: 16) }
        return bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Two hex digits per byte.
    static func bytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return try? stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { throw HexError() }
            return byte
        }
    }

    /// The 0-based position of a BYTES list's first element: from `index_field` (1-based, hex),
    /// else 0. Nil when the index field holds anything but a number from 1 to
    /// `TelemetryListAssembler.maxElements`: a corrupt index (up to 16 hex digits, past
    /// `Int.max`) must neither trap nor move the slice.
    static func firstIndex(_ param: ParamsConfig.G1Param, fields: [String]) -> Int? {
        guard let field = param.indexField, field <= fields.count else { return 0 }
        let text = fields[field - 1]
        guard text.utf8.count <= maxHexDigits, text.allSatisfy(\.isHexDigit), let number = UInt64(text, radix: 16),
            number >= 1, number <= UInt64(TelemetryListAssembler.maxElements)
        else { return nil }
        return Int(number) - 1
    }

    private struct HexError: Error {}
}
