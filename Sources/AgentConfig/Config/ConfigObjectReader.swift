/// Reads the members of one JSON object of a configuration file. Each accessor checks the
/// value's type and range, records a problem at the value's path when it is wrong and then
/// returns the default, so reading goes on and every problem is found in one pass. Keys no
/// accessor asked for are reported by `finish` as notices.
final class ConfigObjectReader {
    /// Where the object is.
    let path: JSONPath
    /// The object's members in file order; of a duplicated key, the last one.
    let members: [JSONMember]
    /// Where problems and notices go.
    let issues: ConfigIssues
    private var used: Set<String> = []

    /// A reader for `value`, or nil (with a problem recorded) when it is not an object.
    init?(_ value: JSONValue, at path: JSONPath, issues: ConfigIssues, expected: String = "an object") {
        guard case .object(let all) = value else {
            issues.problem(at: path, found: value.summary, expected: expected)
            return nil
        }
        var seen: Set<String> = []
        for member in all where !seen.insert(member.key).inserted {
            issues.notice(at: path.appending(member.key), .duplicateKey, "the last value is used")
        }
        var keptFromEnd: Set<String> = []
        self.path = path
        self.members = all.reversed().filter { keptFromEnd.insert($0.key).inserted }.reversed()
        self.issues = issues
    }

    /// The value of `key` (JSON `null` included), marking the key as read; nil when absent.
    func value(_ key: String) -> JSONValue? {
        used.insert(key)
        return members.first { $0.key == key }?.value
    }

    /// True when the object has `key`.
    func contains(_ key: String) -> Bool { members.contains { $0.key == key } }

    /// Records a problem about the value of `key`.
    func problem(_ key: String, found: String, expected: String) {
        issues.problem(at: path.appending(key), found: found, expected: expected)
    }

    /// Records a problem about the object as a whole.
    func problem(found: String, expected: String) {
        issues.problem(at: path, found: found, expected: expected)
    }

    /// A boolean; `fallback` when absent or wrong.
    func bool(_ key: String, default fallback: Bool) -> Bool {
        optionalBool(key) ?? fallback
    }

    /// A boolean; nil when absent or wrong.
    func optionalBool(_ key: String) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { return mismatch(key, value, "true or false", nil) }
        return flag
    }

    /// An integer in `range` (8.0 counts as 8); `fallback` when absent or wrong.
    func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        optionalInteger(key, in: range) ?? fallback
    }

    /// An integer in `range`; nil when absent (or `null` with `nullable`) or wrong.
    func optionalInteger(_ key: String, in range: ClosedRange<Int>, nullable: Bool = false) -> Int? {
        guard let value = value(key), !(nullable && value == .null) else { return nil }
        guard case .number(let number) = value, number.rounded() == number,
            number >= Double(range.lowerBound), number <= Double(range.upperBound)
        else { return mismatch(key, value, Self.integerText(range), nil) }
        return Int(number)
    }

    /// A number `isAllowed` accepts; `fallback` when absent or wrong.
    func number(_ key: String, default fallback: Double, expected: String = "a number", where isAllowed: (Double) -> Bool = { _ in true })
        -> Double
    {
        optionalNumber(key, expected: expected, where: isAllowed) ?? fallback
    }

    /// A number `isAllowed` accepts; nil when absent or wrong.
    func optionalNumber(_ key: String, expected: String = "a number", where isAllowed: (Double) -> Bool = { _ in true }) -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, isAllowed(number) else { return mismatch(key, value, expected, nil) }
        return number
    }

    /// A string; with `nullable`, JSON `null` (the manual's default for several keys) reads as `fallback`.
    func string(_ key: String, default fallback: String, nullable: Bool = false) -> String {
        optionalString(key, nullable: nullable) ?? fallback
    }

    /// A string `isAllowed` accepts; nil when absent, `null` (with `nullable`) or wrong.
    func optionalString(
        _ key: String, nullable: Bool = true, expected: String = "a string", where isAllowed: (String) -> Bool = { _ in true }
    ) -> String? {
        guard let value = value(key), !(nullable && value == .null) else { return nil }
        guard case .string(let text) = value, isAllowed(text) else { return mismatch(key, value, expected, nil) }
        return text
    }

    /// A string that must be present.
    func requiredString(_ key: String, expected: String, where isAllowed: (String) -> Bool = { !$0.isEmpty }) -> String {
        guard contains(key) else { return missing(key, expected, "") }
        return optionalString(key, nullable: false, expected: expected, where: isAllowed) ?? ""
    }

    /// One of `choices` (exact spelling); with `nullable`, `null` reads as absent.
    func choice(_ key: String, among choices: [String], nullable: Bool = true) -> String? {
        let expected = "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        return optionalString(key, nullable: nullable, expected: expected) { choices.contains($0) }
    }

    /// The object under `key`; nil when absent or `null` (the manual's default for sections),
    /// and nil with a problem when it is something else.
    func object(_ key: String, expected: String = "an object") -> ConfigObjectReader? {
        guard let value = value(key), value != .null else { return nil }
        return ConfigObjectReader(value, at: path.appending(key), issues: issues, expected: expected)
    }

    /// The object under `key`, which must be there; nil with a problem when it is absent,
    /// `null` or something else.
    func requiredObject(_ key: String, expected: String) -> ConfigObjectReader? {
        guard let value = value(key), value != .null else {
            problem(key, found: contains(key) ? "null" : "nothing", expected: expected)
            return nil
        }
        return ConfigObjectReader(value, at: path.appending(key), issues: issues, expected: expected)
    }

    /// True when `key` is present with a value other than `null`.
    func has(_ key: String) -> Bool { members.contains { $0.key == key && $0.value != .null } }

    /// The array under `key`; nil when absent or `null`, and nil with a problem when it is
    /// something else.
    func array(_ key: String, expected: String = "an array") -> [JSONValue]? {
        guard let value = value(key), value != .null else { return nil }
        guard case .array(let elements) = value else { return mismatch(key, value, expected, nil) }
        return elements
    }

    /// Reports the keys nobody read: those in `notApplicable` as such (with the reason given),
    /// the others as unknown.
    func finish(notApplicable: [String: String] = [:], unknownDetail: String = "ignored") {
        for member in members where !used.contains(member.key) {
            if let reason = notApplicable[member.key] {
                issues.notice(at: path.appending(member.key), .notApplicable, reason)
            } else {
                issues.notice(at: path.appending(member.key), .unknownKey, unknownDetail)
            }
        }
    }

    /// Records a notice about `key`.
    func notice(_ key: String, _ kind: ConfigReport.Notice.Kind, _ detail: String) {
        issues.notice(at: path.appending(key), kind, detail)
    }

    /// The wording of an integer range in a problem.
    static func integerText(_ range: ClosedRange<Int>) -> String {
        switch (range.lowerBound, range.upperBound) {
        case (let low, Int.max): "an integer ≥ \(low)"
        case (let low, let high): "an integer from \(low) to \(high)"
        }
    }

    private func mismatch<T>(_ key: String, _ value: JSONValue, _ expected: String, _ fallback: T) -> T {
        problem(key, found: value.summary, expected: expected)
        return fallback
    }

    private func missing<T>(_ key: String, _ expected: String, _ fallback: T) -> T {
        problem(key, found: "nothing", expected: expected)
        return fallback
    }
}
