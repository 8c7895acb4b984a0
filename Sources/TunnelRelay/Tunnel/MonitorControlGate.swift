import SharedWire

/// The relay's rule for a monitor session's `SERIAL_CONTROL` (PROTOCOL.md section 8.5): only
/// `queryState` goes on to the agent; every operation that would change the line is answered
/// by the relay itself, refused, so an agent that would obey never sees it. Answers keep the
/// order of the requests: a refusal that follows a `queryState` still out at the agent waits
/// for that answer. Pure: no I/O.
struct MonitorControlGate {
    /// Requests a monitor may have unanswered at once (`RelayLimits.maxPendingMonitorControls`).
    /// One past it closes the connection.
    static let maxPending = RelayLimits.maxPendingMonitorControls

    /// What to do with a request from the client.
    enum Request: Equatable {
        /// Forward it to the agent.
        case forward
        /// Send these answers to the client now (none when the refusal waits its turn).
        case answer([SerialControlResult])
        /// Too many requests unanswered: close the client's connection.
        case tooManyPending
    }

    private enum Pending: Equatable {
        case atAgent
        case refused(SerialControlResult)
    }

    private var pending: [Pending] = []

    /// Requests not answered yet.
    var pendingCount: Int { pending.count }

    /// A `SERIAL_CONTROL` from the monitor's client.
    mutating func fromClient(_ control: SerialControl) -> Request {
        guard pending.count < Self.maxPending else { return .tooManyPending }
        if control.onlyReads {
            pending.append(.atAgent)
            return .forward
        }
        let refusal = SerialControlResult.refusedUnread(control)
        if pending.isEmpty { return .answer([refusal]) }
        pending.append(.refused(refusal))
        return .answer([])
    }

    /// A `SERIAL_CONTROL_RESULT` from the agent: what to send the client, in order.
    mutating func fromAgent(_ result: SerialControlResult) -> [SerialControlResult] {
        if pending.first == .atAgent { pending.removeFirst() }
        var answers = [result]
        while case .refused(let refusal)? = pending.first {
            pending.removeFirst()
            answers.append(refusal)
        }
        return answers
    }
}
