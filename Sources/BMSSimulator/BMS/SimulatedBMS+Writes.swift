import Foundation
import SharedWire

/// Writes and commands. The simulator's convention (the reference is silent on it): an
/// applied write is answered with one line that echoes it as applied (for CF2 the parameter
/// and the value now in effect; for SC1 the new state of charge; for PW1/PW2 `1` or `0`);
/// a refused one with `NAME,ERR,<reason>`. While a password is set, every write but PW1 needs
/// a PW1 login first.
extension SimulatedBMS {
    /// Names that change state when they carry fields other than `?`, and are refused
    /// `UNSUPPORTED` because the simulator does not model them.
    static let unsupportedWrites: Set<String> = ["TC1", "TC2", "CN2", "CS2", "CS3", "CS4", "OT1"]

    mutating func write(_ sentence: G1Sentence) -> BMSReply {
        let name = sentence.name
        let fields = sentence.fields
        if name == "PW1" { return login(fields) }
        guard Self.writeNames.contains(name), !(Self.readingNames.contains(name) && fields == ["?"]) else { return .ignored }
        if name == "CF2", fields.count == 2, fields[1] == "?" { return readParameter(fields[0]) }
        guard mayWrite else { return .refused(name, .login) }
        switch (name, fields) {
        case ("CF2", let fields) where fields.count == 2: return writeParameter(fields[0], fields[1])
        case ("PW2", let fields) where fields.count <= 1: return setPassword(fields.first ?? "")
        case ("SC1", let fields) where fields.count == 1: return setStateOfCharge(fields[0])
        case ("RC1", _):
            pack.zeroCurrentSensor()
            eventLog.append(.currentSensorZeroed, time: g1Time)
        case ("RS1", _):
            pack.restart()
            isLoggedIn = false
            eventLog.append(.reset, time: g1Time)
            resetHistory.append(.reset, time: g1Time)
        case ("FD1", _):
            pack.limits = pack.configuration.limits ?? .defaults(capacityAh: pack.configuration.capacityAh)
            pack.capacityAh = pack.configuration.capacityAh
            eventLog.append(.factoryDefaults, time: g1Time)
        case ("SS1", ["c"]):
            statistics.clear(pack: pack, time: g1Time)
            eventLog.append(.statisticsCleared, time: g1Time)
        case ("LG1", ["c"]):
            eventLog.clear()
        case ("TD1", let fields) where fields.count >= 6:
            return setClock(Array(fields.prefix(6)))
        case (let name, _) where Self.unsupportedWrites.contains(name):
            return .refused(name, .unsupported)
        default:
            return .refused(name, .format)
        }
        return .applied(sentence)
    }

    /// Names `write` takes (the others are ignored).
    private static let writeNames = Set(["CF2", "PW2", "SC1", "RC1", "RS1", "FD1", "SS1", "LG1", "TD1"])
        .union(unsupportedWrites)

    /// `PW1,?` asks the login state, `PW1,<password>` logs in, `PW1,` or `PW1` logs out.
    private mutating func login(_ fields: [String]) -> BMSReply {
        switch fields {
        case ["?"]:
            return .answered([G1Sentence(name: "PW1", fields: [isLoggedIn ? "1" : "0"])])
        case [], [""]:
            isLoggedIn = false
        case let fields where fields.count == 1:
            guard password == nil || fields[0] == password else {
                isLoggedIn = false
                return .refused("PW1", .password)
            }
            isLoggedIn = true
        default:
            return .refused("PW1", .format)
        }
        return .applied(G1Sentence(name: "PW1", fields: [isLoggedIn ? "1" : "0"]))
    }

    /// `PW2,<password>` sets the password (1–16 letters and digits), `PW2,` clears it.
    private mutating func setPassword(_ text: String) -> BMSReply {
        let alphanumeric = text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        guard text.utf8.count <= Self.maxPasswordLength, alphanumeric else { return .refused("PW2", .format) }
        password = text.isEmpty ? nil : text
        isLoggedIn = password != nil
        eventLog.append(.passwordChanged, time: g1Time)
        return .applied(G1Sentence(name: "PW2", fields: [password == nil ? "0" : "1"]))
    }

    /// `CF2,<id>,?` → `CF2,<id>,<value>` (4 hex digits each).
    private func readParameter(_ idText: String) -> BMSReply {
        guard let id = G1Field.hexValue(idText), let parameter = BMSParameter(rawValue: UInt16(clamping: id)) else {
            return .refused("CF2", .unknownParameter)
        }
        return .answered([parameterSentence(parameter)])
    }

    private mutating func writeParameter(_ idText: String, _ valueText: String) -> BMSReply {
        guard let id = G1Field.hexValue(idText), let parameter = BMSParameter(rawValue: UInt16(clamping: id)) else {
            return .refused("CF2", .unknownParameter)
        }
        guard parameter.isWritable else { return .refused("CF2", .readOnly) }
        guard let value = G1Field.hexValue(valueText) else { return .refused("CF2", .format) }
        guard parameter.range.contains(value) else { return .refused("CF2", .range) }
        parameter.apply(value, to: &pack)
        eventLog.append(.parameterWritten, parameter: parameter.rawValue, time: g1Time)
        return .applied(parameterSentence(parameter))
    }

    func parameterSentence(_ parameter: BMSParameter) -> G1Sentence {
        G1Sentence(
            name: "CF2",
            fields: [
                G1Field.hex(Int(parameter.rawValue), width: BMSParameter.fieldWidth),
                G1Field.hex(parameter.value(in: pack), width: BMSParameter.fieldWidth),
            ])
    }

    /// `SC1,<state of charge, 0.01 %, hex>` as BC1 field 3 carries it; 0–10000.
    private mutating func setStateOfCharge(_ text: String) -> BMSReply {
        guard let value = G1Field.hexValue(text) else { return .refused("SC1", .format) }
        guard value <= 10_000 else { return .refused("SC1", .range) }
        pack.setStateOfCharge(Double(value) / 10_000)
        eventLog.append(.stateOfChargeSet, parameter: UInt16(value), time: g1Time)
        return .applied(G1Sentence(name: "SC1", fields: [G1Field.hex(value, width: 4)]))
    }

    /// `TD1,<year>,<month>,<day>,<hour>,<minute>,<second>` (decimal, UTC) sets the clock;
    /// answered with the TD1 reading. Years outside `clockYears` are refused: the clock counts
    /// 32-bit seconds, and a year of 10¹⁵ would overflow every conversion after it.
    private mutating func setClock(_ fields: [String]) -> BMSReply {
        let numbers = fields.compactMap { $0.utf8.count <= 4 ? Int($0) : nil }
        if numbers.count == 6, !Self.clockYears.contains(numbers[0]) { return .refused("TD1", .range) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = DateComponents(
            year: numbers.first, month: numbers.dropFirst().first, day: numbers.dropFirst(2).first,
            hour: numbers.dropFirst(3).first, minute: numbers.dropFirst(4).first, second: numbers.dropFirst(5).first)
        guard numbers.count == 6, parts.isValidDate(in: calendar), let date = calendar.date(from: parts) else {
            return .refused("TD1", .format)
        }
        clockOffset = date.timeIntervalSince(time)
        eventLog.append(.clockSet, time: g1Time)
        return .applied(reading("TD1")![0])
    }
}
