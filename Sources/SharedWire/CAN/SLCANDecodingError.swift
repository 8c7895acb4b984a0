/// An slcan line that could not be taken as a message. The decoder reports it and goes on
/// with the next line.
public enum SLCANDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A complete line that is no slcan message; `reason` says what was expected.
    case malformed(line: String, reason: String)
    /// More than `limit` bytes arrived without a `\r`.
    case lineTooLong(limit: Int)

    public var description: String {
        switch self {
        case .malformed(let line, let reason):
            "slcan line \"\(line)\": \(reason)"
        case .lineTooLong(let limit):
            "slcan line longer than \(limit) bytes without CR"
        }
    }
}
