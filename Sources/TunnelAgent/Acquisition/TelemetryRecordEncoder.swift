import AgentConfig

/// Writes decoded values as the members of a ThingsBoard telemetry object:
/// `"soc":81.5,"cellVoltages":[3.31,null,3.30],"charging":true`. A list is a JSON array with
/// null where a value was out of its valid range; a number JSON cannot hold (NaN, infinity) is
/// left out. Later values of a key replace earlier ones of the same record.
public enum TelemetryRecordEncoder {
    /// The members for `values`, nil when none is left to send.
    public static func members(_ values: [TelemetryValue]) -> String? {
        var order: [String] = []
        var texts: [String: String] = [:]
        for value in values {
            guard let text = text(of: value.value) else { continue }
            if texts.updateValue(text, forKey: value.key) == nil { order.append(value.key) }
        }
        guard !order.isEmpty else { return nil }
        return order.map { JSONValue.quoted($0) + ":" + texts[$0]! }.joined(separator: ",")
    }

    static func text(of value: TelemetryValue.Value) -> String? {
        switch value {
        case .number(let number): return number.isFinite ? numberText(number) : nil
        case .text(let string): return JSONValue.quoted(string)
        case .flag(let flag): return flag ? "true" : "false"
        case .list(_, let elements):
            return "[" + elements.map { element in element.flatMap { $0.isFinite ? numberText($0) : nil } ?? "null" }.joined(separator: ",")
                + "]"
        }
    }

    /// `8` rather than `8.0`; otherwise Swift's shortest round-tripping form.
    static func numberText(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
