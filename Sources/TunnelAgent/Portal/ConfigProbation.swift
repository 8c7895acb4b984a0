/// Last known good: an accepted push is on probation until the gateway has reached its broker
/// and, when the BMS was answering at the push, heard the BMS again. Past the grace without
/// both, it is rolled back to the portal files that were in effect before it. Pure: it is
/// given events and the time (seconds since 1970, so that it means the same after a restart),
/// and is kept on disk between them by `ProbationStore`.
struct ConfigProbation: Sendable, Equatable, Codable {
    /// The pushed file, `settings.json` or `params_config.json`.
    var file: String
    /// SHA-256 (hex) of the pushed file, to refuse the same file again once it was rolled back.
    var pushedHash: String
    /// When the push was accepted, and when it must have proved itself.
    var acceptedAt: Double
    var deadline: Double
    /// The BMS was answering when the push arrived, so it must answer again.
    var needsBMS: Bool
    /// What was seen since the push.
    var brokerSeen = false
    var bmsSeen = false
    /// The portal's copies of both files before the first push of this probation (nil: none,
    /// the local file ruled): the configuration that worked, to go back to.
    var previousSettings: String?
    var previousParams: String?

    /// How recent the BMS's last sentence must be for it to count as answering at the push, seconds.
    static let answeringWindow = 30.0

    /// What the agent saw.
    enum Event: Equatable {
        /// The MQTT connection is up (CONNACK 0).
        case brokerConnected
        /// A valid sentence came from the BMS at this time.
        case bmsAnswered(at: Double)
        /// Time passed.
        case tick
    }

    /// What to do.
    enum Decision: Equatable {
        /// Still on probation.
        case waiting
        /// The push works: the probation ends and it becomes the last known good.
        case proven
        /// Go back to the previous files, for this reason.
        case rollBack(reason: String)
    }

    /// The probation of a push accepted at `now`. A push during another's probation keeps the
    /// earlier previous files, both of them, absent ones included: those are the last that worked.
    static func begin(
        file: String, hash: String, now: Double, grace: Double, lastBMSSentence: Double?, previousSettings: String?,
        previousParams: String?, replacing running: ConfigProbation?
    ) -> ConfigProbation {
        ConfigProbation(
            file: file, pushedHash: hash, acceptedAt: now, deadline: now + grace,
            needsBMS: lastBMSSentence.map { now - $0 <= answeringWindow } ?? false,
            previousSettings: running.map(\.previousSettings) ?? previousSettings,
            previousParams: running.map(\.previousParams) ?? previousParams)
    }

    /// Takes `event` at `now`.
    mutating func handle(_ event: Event, now: Double) -> Decision {
        switch event {
        case .brokerConnected: brokerSeen = true
        case .bmsAnswered(let at) where at >= acceptedAt: bmsSeen = true
        case .bmsAnswered, .tick: break
        }
        if brokerSeen && (bmsSeen || !needsBMS) { return .proven }
        guard now >= deadline else { return .waiting }
        let grace = Int((deadline - acceptedAt).rounded())
        if !brokerSeen {
            return .rollBack(reason: "no MQTT connection to the broker within \(grace) s of the push")
        }
        return .rollBack(reason: "no valid sentence from the BMS within \(grace) s of the push (it was answering before)")
    }
}
