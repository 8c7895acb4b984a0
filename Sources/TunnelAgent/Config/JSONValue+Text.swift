/// Writing JSON back out: compact, members in their order.
extension JSONValue {
    /// The compact JSON text of this value.
    var text: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .number(let value): value.isFinite ? JSONValue.text(of: value) : "null"
        case .string(let value): TelemetryRecordEncoder.quoted(value)
        case .array(let elements): "[" + elements.map(\.text).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { TelemetryRecordEncoder.quoted($0.key) + ":" + $0.value.text }.joined(separator: ",") + "}"
        }
    }

    /// The value of member `key` of an object; nil for other values and absent keys.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The string, for a string value.
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements, for an array value.
    var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The number, for a number value.
    var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }
}
