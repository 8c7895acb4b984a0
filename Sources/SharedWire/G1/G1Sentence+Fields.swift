/// A sentence field that is missing or not in the expected encoding.
public struct G1FieldError: Error, Equatable, CustomStringConvertible {
    /// The sentence name.
    public let sentence: String
    /// 1-based field position, as the reference numbers them.
    public let field: Int
    /// What was found.
    public let found: String
    /// What was expected.
    public let expected: String

    public init(sentence: String, field: Int, found: String, expected: String) {
        self.sentence = sentence
        self.field = field
        self.found = found
        self.expected = expected
    }

    public var description: String {
        "\(sentence) field \(field) is \"\(found)\", expected \(expected)"
    }
}

extension G1Sentence {
    /// The raw text of field `position` (1-based); empty when the sentence is shorter.
    public func field(_ position: Int) -> String {
        position >= 1 && position <= fields.count ? fields[position - 1] : ""
    }

    /// Field `position` as an unsigned hexadecimal number.
    public func hex(_ position: Int) throws -> UInt64 {
        let text = field(position)
        guard !text.isEmpty, text.count <= 16, let value = UInt64(text, radix: 16) else {
            throw G1FieldError(sentence: name, field: position, found: text, expected: "hexadecimal digits")
        }
        return value
    }

    /// Field `position` as an unsigned hexadecimal number of at most `maximum`, as an `Int`
    /// for counts, indexes and codes. A field may hold up to 16 hex digits (more than an `Int`
    /// holds), so a larger value is a `G1FieldError` naming the field, never a trap.
    public func hexInt(_ position: Int, max maximum: Int) throws -> Int {
        let raw = try hex(position)
        guard let value = Int(exactly: raw), value <= maximum else {
            throw G1FieldError(
                sentence: name, field: position, found: field(position),
                expected: "a hexadecimal number of at most \(String(maximum, radix: 16, uppercase: true))")
        }
        return value
    }

    /// Field `position` as a count no larger than `maximum`, or `nil` when the field is empty;
    /// a larger one is a `G1FieldError`, as with `hexInt`.
    public func optionalHexInt(_ position: Int, max maximum: Int) throws -> Int? {
        field(position).isEmpty ? nil : try hexInt(position, max: maximum)
    }

    /// Field `position` as a hexadecimal number, or `nil` when the field is empty.
    public func optionalHex(_ position: Int) throws -> UInt64? {
        field(position).isEmpty ? nil : try hex(position)
    }

    /// Field `position` as a two's-complement signed number of `bits` bits written in hex.
    public func signedHex(_ position: Int, bits: Int) throws -> Int64 {
        let raw = try hex(position)
        guard bits < 64, raw < (UInt64(1) << bits) else {
            throw G1FieldError(sentence: name, field: position, found: field(position), expected: "a \(bits)-bit value")
        }
        let signBit = UInt64(1) << (bits - 1)
        return raw & signBit != 0 ? Int64(raw) - Int64(UInt64(1) << bits) : Int64(raw)
    }

    /// Field `position` as a decimal integer.
    public func decimal(_ position: Int) throws -> Int {
        let text = field(position)
        guard let value = Int(text) else {
            throw G1FieldError(sentence: name, field: position, found: text, expected: "a decimal number")
        }
        return value
    }

    /// Field `position` as concatenated two-digit hex bytes.
    public func byteArray(_ position: Int) throws -> [UInt8] {
        let text = Array(field(position).utf8)
        guard text.count % 2 == 0 else {
            throw G1FieldError(sentence: name, field: position, found: field(position), expected: "pairs of hex digits")
        }
        return try stride(from: 0, to: text.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: text[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw G1FieldError(sentence: name, field: position, found: field(position), expected: "pairs of hex digits")
            }
            return byte
        }
    }

    /// Throws unless the sentence is `expected`.
    func require(_ expected: String...) throws {
        guard expected.contains(name) else {
            throw G1FieldError(sentence: name, field: 0, found: name, expected: expected.joined(separator: " or "))
        }
    }
}

/// The reference's common byte scalings.
public enum G1Scaling {
    /// Cell voltage byte: (b + 200) × 0.01 V.
    public static func cellVoltage(_ byte: UInt8) -> Double { Double(Int(byte) + 200) / 100 }
    /// Temperature byte: b − 100 °C.
    public static func temperature(_ byte: UInt8) -> Double { Double(Int(byte) - 100) }
    /// Balancing rate byte: b × 100 / 255 %.
    public static func balancingRate(_ byte: UInt8) -> Double { Double(byte) * 100 / 255 }
}
