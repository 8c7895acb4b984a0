/// Text that is not JSON, with where it stopped making sense and what was expected there.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the offending character.
    public let line: Int
    /// 1-based column (in bytes) of the offending character.
    public let column: Int
    /// What was found there, for example `"}"` or `the end of the text`.
    public let found: String
    /// What JSON allows there, for example `"," or "]"`.
    public let expected: String

    public var description: String { "line \(line), column \(column): found \(found), expected \(expected)" }
}
