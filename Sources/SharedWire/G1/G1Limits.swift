/// The largest numbers the typed readings take in their count, index and code fields. The
/// reference writes them in 2, 4 or 8 hex digits; a field may carry up to 16, so anything
/// larger than its field's width is refused as a `G1FieldError` instead of trapping in a
/// conversion to `Int` or in later arithmetic (a first cell of 2⁶³ − 1 plus 8 cells).
public enum G1Limits {
    /// Two-digit fields: cell string, group size, stage, error codes, CAN cell counts.
    public static let maxByte = 0xFF
    /// Four-digit fields: first cell of a group, error parameter, CAN status.
    public static let maxWord = 0xFFFF
    /// Eight-digit fields: durations in seconds.
    public static let maxDoubleWord = 0xFFFF_FFFF
}
