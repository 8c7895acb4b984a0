/// Field encodings of G1 sentences: fixed-width uppercase hex, zero-padded decimal, and the
/// byte scalings of the reference.
enum G1Field {
    /// `value` as `width` uppercase hex digits, clamped to what the width holds.
    static func hex(_ value: Int, width: Int) -> String {
        let limit = width >= 16 ? Int.max : (1 << (4 * width)) - 1
        let text = String(min(max(0, value), limit), radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// A signed value as `width` hex digits of two's complement, clamped to the width.
    static func signedHex(_ value: Int, width: Int) -> String {
        let bits = 4 * width
        let clamped = min(max(value, -(1 << (bits - 1))), (1 << (bits - 1)) - 1)
        return hex(clamped & ((1 << bits) - 1), width: width)
    }

    /// `value` as decimal, zero-padded to `width` digits.
    static func decimal(_ value: Int, width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Byte array field: two hex digits per byte.
    static func bytes(_ bytes: [UInt8]) -> String {
        bytes.map { hex(Int($0), width: 2) }.joined()
    }

    /// Cell voltage byte: (b + 200) × 0.01 V.
    static func voltageByte(_ volts: Double) -> UInt8 { UInt8(clamping: Int((volts * 100).rounded()) - 200) }
    /// Temperature byte: b − 100 °C.
    static func temperatureByte(_ celsius: Double) -> UInt8 { UInt8(clamping: Int(celsius.rounded()) + 100) }
    /// Balancing rate byte: b × 100 / 255 %, from a rate 0...1.
    static func rateByte(_ rate: Double) -> UInt8 { UInt8(clamping: Int((rate * 255).rounded())) }

    /// The value of 1 to 8 hex digits (either case); nil otherwise.
    static func hexValue(_ text: String) -> Int? {
        guard (1...8).contains(text.utf8.count), text.utf8.allSatisfy({ $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: "+") })
        else { return nil }
        return Int(text, radix: 16)
    }

    /// Minimum, maximum and average of `values` as bytes in `encoding`.
    static func summary(_ values: [Double], _ encoding: (Double) -> UInt8) -> [String] {
        guard !values.isEmpty else { return ["", "", ""] }
        let average = values.reduce(0, +) / Double(values.count)
        return [values.min()!, values.max()!, average].map { hex(Int(encoding($0)), width: 2) }
    }
}
