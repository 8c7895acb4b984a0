/// A CAN packet id as `params_config.json` writes it: `X19B50000` (extended, 29 bits) or
/// `S305` (standard, 11 bits), hex digits after the letter.
public struct CANPacketID: Sendable, Hashable, CustomStringConvertible {
    /// True for an extended (29-bit) id.
    public let extended: Bool
    /// The id.
    public let value: UInt32

    /// The syntax accepted; the schema uses the same pattern.
    static let pattern = "^(X([01][0-9A-Fa-f]{7}|[0-9A-Fa-f]{1,7})|S([0-7][0-9A-Fa-f]{2}|[0-9A-Fa-f]{1,2}))$"
    /// What a problem says is expected.
    static let expected =
        "X and 1–8 hex digits up to 1FFFFFFF (extended) or S and 1–3 hex digits up to 7FF (standard), for example \"X19B50000\""

    public init(extended: Bool, value: UInt32) {
        self.extended = extended
        self.value = value
    }

    /// Parses `X…`/`S…`; nil when the text is not one or the id does not fit its kind.
    public init?(_ text: String) {
        guard let kind = text.first, kind == "X" || kind == "S", let value = UInt32(text.dropFirst(), radix: 16),
            text.count <= (kind == "X" ? 9 : 4), text.dropFirst().allSatisfy(\.isHexDigit)
        else { return nil }
        self.init(extended: kind == "X", value: value)
        guard value <= maxValue else { return nil }
    }

    /// The largest id of this kind: 0x1FFFFFFF or 0x7FF.
    public var maxValue: UInt32 { extended ? 0x1FFF_FFFF : 0x7FF }

    public var description: String {
        let hex = String(value, radix: 16, uppercase: true)
        return extended ? "X" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex : "S" + hex
    }
}
