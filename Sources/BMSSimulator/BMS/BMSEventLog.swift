/// A bounded log of events with G1 timestamps (seconds since 2000-01-01), oldest first: the
/// event log of LG1 and the reset history of RS2.
public struct BMSEventLog: Hashable, Sendable {
    /// Entries kept; the oldest goes when a new one arrives past this. (Two hex digits of
    /// index and count in the answer lines.)
    public static let capacity = 64

    /// One event.
    public struct Entry: Hashable, Sendable {
        /// What happened (`Event` raw value, or a reset reason).
        public let code: UInt8
        /// A detail: the parameter ID, the protection bit, the cell; 0 when none.
        public let parameter: UInt16
        /// When, seconds since 2000-01-01 00:00 UTC.
        public let time: UInt32
    }

    /// Codes of LG1 entries; RS2 uses `powerOn` and `reset`.
    public enum Event: UInt8, Sendable {
        case powerOn = 0x01
        case reset = 0x02
        case factoryDefaults = 0x03
        case stateOfChargeSet = 0x04
        case currentSensorZeroed = 0x05
        case parameterWritten = 0x06
        case passwordChanged = 0x07
        case clockSet = 0x08
        case statisticsCleared = 0x09
        case chargingStarted = 0x10
        case chargingFinished = 0x11
        case chargingError = 0x12
        /// A protection tripped; the parameter is its bit number.
        case protectionTripped = 0x20
    }

    /// The entries, oldest first.
    public private(set) var entries: [Entry] = []

    public init() {}

    mutating func append(_ event: Event, parameter: UInt16 = 0, time: UInt32) {
        entries.append(Entry(code: event.rawValue, parameter: parameter, time: time))
        if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
    }

    mutating func clear() { entries.removeAll() }

    /// One line per entry, `NAME,<index>,<count>,<code>,<parameter>,<time>`; an empty log is
    /// one line `NAME,00,00,,,`.
    func fieldLines() -> [[String]] {
        guard !entries.isEmpty else { return [["00", "00", "", "", ""]] }
        return entries.enumerated().map { index, entry in
            [
                G1Field.hex(index, width: 2), G1Field.hex(entries.count, width: 2), G1Field.hex(Int(entry.code), width: 2),
                G1Field.hex(Int(entry.parameter), width: 4), G1Field.hex(Int(entry.time), width: 8),
            ]
        }
    }
}
