import SharedWire

/// A refusal: `GOING_AWAY` with this code and reason, then close.
struct RelayRefusal: Equatable {
    let code: TunnelErrorCode
    let message: String

    /// Refusals that count against the source's failed-authentication budget.
    var countsAgainstSource: Bool { Self.authenticationCodes.contains(code) }

    private static let authenticationCodes: Set<TunnelErrorCode> = [
        .authenticationFailed, .tokenUnknown, .tokenExpired, .tokenUsed, .deviceUnknown, .deviceRevoked,
    ]
}
