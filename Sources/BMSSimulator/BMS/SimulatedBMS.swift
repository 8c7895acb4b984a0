import Foundation
import SharedWire

/// The rules of the simulated EMUS G1 Control Unit: a state machine that takes one received
/// sentence at a time and says what to answer. It owns the pack, the configuration
/// parameters, the password and login, the event log, the reset history and the statistics.
///
/// No I/O and no clock: every input carries the time, and the pack is advanced to it before
/// the sentence is taken. The plumbing (`G1Responder`, `SLCANResponder`) carries bytes in and
/// answers out.
public struct SimulatedBMS: Sendable {
    /// 2000-01-01 00:00 UTC in seconds since 1970: the epoch of G1 timestamps.
    static let g1Epoch: TimeInterval = 946_684_800
    /// Longest password PW2 takes.
    public static let maxPasswordLength = 16
    /// Names answered to `NAME,?` (the reading sentences of the reference).
    public static let readingNames = G1Catalogue.readingNames
    /// Sentences the BMS broadcasts, in the order it sends them.
    public static let broadcastNames = G1Catalogue.broadcastOrder

    /// The pack and its model.
    public internal(set) var pack: SimulatedPack
    /// What VR1 reports.
    public let identity: BMSIdentity
    /// The password PW1 must give before writes; nil for none.
    public internal(set) var password: String?
    /// True after a PW1 login with the password, until logout or reset.
    public internal(set) var isLoggedIn = false
    /// The event log (LG1).
    public internal(set) var eventLog = BMSEventLog()
    /// The reset history (RS2).
    public internal(set) var resetHistory = BMSEventLog()
    /// The statistics (SS1).
    public internal(set) var statistics: PackStatistics
    /// Seconds the BMS's clock runs ahead of the time given (TD1 with fields sets it).
    public internal(set) var clockOffset: TimeInterval = 0
    /// The time the pack was last advanced to.
    public private(set) var time: Date

    /// A BMS that powers on at `now` with `pack`.
    public init(pack: SimulatedPack = SimulatedPack(), identity: BMSIdentity = BMSIdentity(), password: String? = nil, now: Date) {
        self.pack = pack
        self.identity = identity
        self.password = password
        self.time = now
        let start = UInt32(clamping: Int(now.timeIntervalSince1970 - Self.g1Epoch))
        self.statistics = PackStatistics(pack: pack, time: start)
        eventLog.append(.powerOn, time: start)
        resetHistory.append(.powerOn, time: start)
        logTrips(pack.protection, time: start)
    }

    /// Takes one received sentence at `now` and returns what to answer.
    public mutating func receive(_ sentence: G1Sentence, now: Date) -> BMSReply {
        advance(to: now)
        if sentence.isRequest, Self.readingNames.contains(sentence.name), let lines = reading(sentence.name) {
            return .answered(lines)
        }
        return write(sentence)
    }

    /// The broadcast sentences `names` at `now`.
    public mutating func broadcast(_ names: [String], now: Date) -> [G1Sentence] {
        advance(to: now)
        return names.flatMap { reading($0) ?? [] }
    }

    /// Moves the pack on to `now` in steps of at most a second, logging what happens on the way.
    public mutating func advance(to now: Date) {
        var elapsed = now.timeIntervalSince(time)
        while elapsed > 0 {
            let dt = min(1, elapsed)
            let stage = pack.chargingStage
            let protection = pack.protection
            pack.advance(seconds: dt)
            time += dt
            elapsed -= dt
            observe(stage: stage, protection: protection)
        }
        if now > time { time = now }
    }

    /// Years the clock may be set to (`TD1`): those its 32-bit seconds since 2000 can count.
    static let clockYears = 2000...2099

    /// The BMS's clock as a G1 timestamp: seconds since 2000-01-01 00:00 UTC.
    public var g1Time: UInt32 {
        UInt32(clamping: Int((time.timeIntervalSince1970 + clockOffset - Self.g1Epoch).rounded(.down)))
    }

    /// True when writes are allowed: no password, or logged in.
    var mayWrite: Bool { password == nil || isLoggedIn }

    /// Logs what changed in one step and keeps the statistics.
    private mutating func observe(stage: ChargingStage, protection: ProtectionFlags) {
        let now = g1Time
        if pack.chargingStage != stage {
            switch pack.chargingStage {
            case .finished:
                eventLog.append(.chargingFinished, time: now)
                statistics.countCompletedCharge(time: now)
            case .error:
                eventLog.append(.chargingError, parameter: UInt16(pack.lastChargingError), time: now)
            case .disconnected:
                break
            case .preHeating, .preCharging, .mainCharging, .balancing:
                if stage == .disconnected {
                    eventLog.append(.chargingStarted, parameter: UInt16(pack.chargingStage.rawValue), time: now)
                }
            }
        }
        logTrips(pack.protection.subtracting(protection), time: now)
        statistics.record(pack, time: now)
    }

    /// One log entry per protection in `tripped`, its bit number as the parameter.
    private mutating func logTrips(_ tripped: ProtectionFlags, time: UInt32) {
        for bit in 0..<16 where tripped.rawValue & (1 << bit) != 0 {
            eventLog.append(.protectionTripped, parameter: UInt16(bit), time: time)
        }
    }
}
