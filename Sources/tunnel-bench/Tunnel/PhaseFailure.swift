import NIOCore

/// Why a measured phase did not finish, in the words a report of a tunnel fault needs.
enum PhaseFailure: Error, CustomStringConvertible {
    /// Nothing completed the phase in time: something stalled.
    case timedOut(phase: String, progress: String, after: TimeAmount)
    /// Bytes arrived that were not the bytes sent (changed, reordered, added).
    case mismatch(phase: String, detail: String)
    /// The connection ended or failed before the phase finished.
    case interrupted(phase: String, progress: String, cause: any Error)

    var description: String {
        switch self {
        case .timedOut(let phase, let progress, let after):
            "\(phase): no completion within \(after.nanoseconds / 1_000_000_000) s (\(progress))"
        case .mismatch(let phase, let detail):
            "\(phase): data mismatch: \(detail)"
        case .interrupted(let phase, let progress, let cause):
            "\(phase): interrupted (\(progress)): \(cause)"
        }
    }
}
