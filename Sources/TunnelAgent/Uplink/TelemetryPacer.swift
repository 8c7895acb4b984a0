/// Paces what the uplink sends so that no window of any rate limit is ever exceeded: for each
/// limit (`count:seconds`), at most `count` in any `seconds`, counted in messages, telemetry
/// messages, telemetry data points and records (`mqtt.publish_rate`, a window of one second).
/// A sliding window is stricter than the token buckets ThingsBoard keeps, so traffic it lets
/// through is never refused there. Pure: the caller passes the time (seconds on a monotonic
/// clock) and does the waiting.
struct TelemetryPacer: Sendable {
    /// What one message costs in each dimension.
    struct Cost: Sendable, Equatable {
        var messages = 1
        var telemetryMessages = 0
        var dataPoints = 0
        var records = 0
        /// A message that may wait as long as the download it belongs to (a firmware chunk
        /// request): it gets `backgroundShare` of each messages window, telemetry the rest.
        var isBackground = false

        /// A telemetry message of `records` records holding `dataPoints` keys in all.
        static func telemetry(dataPoints: Int, records: Int) -> Cost {
            Cost(messages: 1, telemetryMessages: 1, dataPoints: dataPoints, records: records)
        }

        /// Any other message (attributes, RPC, requests).
        static let other = Cost()
        /// A firmware chunk request.
        static let background = Cost(isBackground: true)

        func amount(_ dimension: Dimension) -> Int {
            switch dimension {
            case .messages: messages
            case .telemetryMessages: telemetryMessages
            case .dataPoints: dataPoints
            case .records: records
            }
        }
    }

    enum Dimension: Sendable, CaseIterable {
        case messages, telemetryMessages, dataPoints, records
    }

    /// One window of a limit as the pacer keeps it.
    struct Window: Sendable, Equatable {
        let dimension: Dimension
        /// The server's count.
        let count: Int
        /// What telemetry may use of `count`: all of it, except for `messages`, where a tenth
        /// stays for attributes, RPC answers and requests (these are recorded, never held back).
        let allowance: Int
        /// The server's window, lengthened by `margin` so that a message that travels a little
        /// slower than the one after it still lands outside.
        let seconds: Double
    }

    /// How much longer than the server's each window is kept: 2% and 100 ms.
    static func margin(_ seconds: Int) -> Double { Double(seconds) * 1.02 + 0.1 }

    private(set) var windows: [Window] = []
    /// What was sent, oldest first, as long as the longest window remembers it.
    private var sent: [(at: Double, cost: Cost)] = []
    private var first = 0

    /// Pacing for `limits`, and at most `publishRate` records a second (0: no such bound).
    init(limits: SessionLimits, publishRate: Int) {
        update(limits: limits, publishRate: publishRate)
    }

    /// New limits (a new connection's answer); what was sent stays counted.
    mutating func update(limits: SessionLimits, publishRate: Int) {
        func windows(_ dimension: Dimension, _ list: [SessionLimits.RateWindow]) -> [Window] {
            list.map {
                let reserve = dimension == .messages ? $0.count / 10 : 0
                return Window(
                    dimension: dimension, count: $0.count, allowance: max(1, $0.count - reserve), seconds: Self.margin($0.seconds))
            }
        }
        self.windows =
            windows(.messages, limits.messages) + windows(.telemetryMessages, limits.telemetryMessages)
            + windows(.dataPoints, limits.telemetryDataPoints)
            + (publishRate > 0 ? windows(.records, [.init(count: publishRate, seconds: 1)]) : [])
    }

    /// Most of `dimension` one message may cost and still pass every window; nil for no bound.
    func largest(_ dimension: Dimension) -> Int? {
        windows.filter { $0.dimension == dimension }.map(\.allowance).min()
    }

    /// The share of each messages window's allowance that background messages get while they
    /// are being sent; telemetry gets the rest then, and all of it otherwise. Each side has its
    /// half whatever the other wants: a download cannot starve telemetry, nor telemetry a download.
    static let backgroundShare = 0.5

    /// When a message costing `cost` may go: `now`, or the moment enough of what was sent has
    /// left its windows. Nil when it never can (it costs more than a window's allowance).
    func earliest(_ cost: Cost, now: Double) -> Double? {
        var at = now
        for window in windows {
            let amount = cost.amount(window.dimension)
            guard amount > 0 else { continue }
            guard let fits = earliest(amount, within: window.allowance, of: window, counting: { $0.amount(window.dimension) })
            else { return nil }
            at = max(at, fits)
            guard window.dimension == .messages else { continue }
            let background = max(1, Int(Double(window.allowance) * Self.backgroundShare))
            if cost.isBackground {
                guard let fits = earliest(amount, within: background, of: window, counting: { $0.isBackground ? $0.messages : 0 })
                else { return nil }
                at = max(at, fits)
            } else if window.allowance > background, sendsBackground(within: window, now: now) {
                let rest = window.allowance - background
                guard let fits = earliest(amount, within: rest, of: window, counting: { $0.isBackground ? 0 : $0.messages })
                else { return nil }
                at = max(at, fits)
            }
        }
        return at
    }

    /// When `amount` more fits within `limit` of what `counting` counts in `window`; nil never.
    private func earliest(_ amount: Int, within limit: Int, of window: Window, counting: (Cost) -> Int) -> Double? {
        guard amount <= limit else { return nil }
        // From the newest back: the send that must leave the window before this one fits.
        var total = amount
        var index = sent.count - 1
        while index >= first {
            total += counting(sent[index].cost)
            if total > limit { return sent[index].at + window.seconds }
            index -= 1
        }
        return -Double.infinity
    }

    /// Whether a background message was sent within `window` before `now`.
    private func sendsBackground(within window: Window, now: Double) -> Bool {
        sent[first...].reversed().prefix { $0.at > now - window.seconds }.contains { $0.cost.isBackground }
    }

    /// `cost` was sent at `now` (telemetry when `earliest` allowed it; anything else when it went).
    mutating func record(_ cost: Cost, at now: Double) {
        let at = max(now, sent.last?.at ?? now)
        sent.append((at, cost))
        forget(before: at - (windows.map(\.seconds).max() ?? 0))
    }

    /// Sends older than `time` count in no window any more.
    private mutating func forget(before time: Double) {
        while first < sent.count && sent[first].at < time { first += 1 }
        if first > 1024 && first * 2 > sent.count {
            sent.removeFirst(first)
            first = 0
        }
    }

    /// What every window holds at `now`, for tests and logs: sent within it, by window.
    func usage(now: Double) -> [Int] {
        windows.map { window in
            sent[first...].filter { $0.at > now - window.seconds }.reduce(0) { $0 + $1.cost.amount(window.dimension) }
        }
    }
}
