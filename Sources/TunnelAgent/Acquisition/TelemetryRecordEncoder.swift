import AgentConfig

/// Writes decoded values as the members of a ThingsBoard telemetry object:
/// `"soc":81.5,"cellVoltages":[3.31,null,3.30],"charging":true`. A list is a JSON array with
/// null where a value was out of its valid range; a number JSON cannot hold (NaN, infinity) is
/// left out. Later values of a key replace earlier ones of the same record. A decimal key's
/// numbers always carry a decimal point (`12.0`). Text is not telemetry: ThingsBoard casts a
/// numeric-looking telemetry string to a number (`"00012345"` to 12345), so text values go
/// as client attributes (`texts`).
public enum TelemetryRecordEncoder {
    /// The members for `values`, nil when none is left to send.
    public static func members(_ values: [TelemetryValue]) -> String? {
        var order: [String] = []
        var texts: [String: String] = [:]
        for value in values {
            guard let text = text(of: value.value, isDecimal: value.isDecimal) else { continue }
            if texts.updateValue(text, forKey: value.key) == nil { order.append(value.key) }
        }
        guard !order.isEmpty else { return nil }
        return order.map { JSONValue.quoted($0) + ":" + texts[$0]! }.joined(separator: ",")
    }

    /// The text values among `values`, the last of each key: sent as client attributes.
    public static func texts(_ values: [TelemetryValue]) -> [String: String] {
        var texts: [String: String] = [:]
        for value in values {
            if case .text(let text) = value.value { texts[value.key] = text }
        }
        return texts
    }

    /// A value's JSON text in a telemetry record; nil for what is not telemetry (text, and
    /// numbers JSON cannot hold).
    static func text(of value: TelemetryValue.Value, isDecimal: Bool = false) -> String? {
        switch value {
        case .number(let number): return number.isFinite ? numberText(number, isDecimal: isDecimal) : nil
        case .text: return nil
        case .flag(let flag): return flag ? "true" : "false"
        case .list(_, let elements):
            let texts = elements.map { element in element.flatMap { $0.isFinite ? numberText($0, isDecimal: isDecimal) : nil } ?? "null" }
            return "[" + texts.joined(separator: ",") + "]"
        }
    }

    /// A whole number of an integer key as `8`; of a decimal key as `8.0`; otherwise Swift's
    /// shortest round-tripping form (`81.5`, `1e+20`), which ThingsBoard reads as a double.
    static func numberText(_ number: Double, isDecimal: Bool = false) -> String {
        let whole = number.rounded() == number
        if whole && abs(number) < 1e15 { return String(Int64(number)) + (isDecimal ? ".0" : "") }
        return String(number)
    }
}
