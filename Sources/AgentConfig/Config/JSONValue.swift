/// A JSON document as written: objects keep their members in file order (duplicates too), so
/// a configuration check can report every problem, at its path, in the order of the file.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// Longest piece of a string quoted back in a problem report.
    public static let summaryLimit = 40

    /// How the value is quoted in a problem report: the JSON text of a scalar (a long string
    /// cut short), the kind of a container.
    public var summary: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .number(let value): Self.text(of: value)
        case .string(let value):
            value.count > Self.summaryLimit ? "\"\(value.prefix(Self.summaryLimit))…\"" : "\"\(value)\""
        case .array(let elements): elements.isEmpty ? "an empty array" : "an array"
        case .object: "an object"
        }
    }

    /// A number as a person writes it: `8`, not `8.0`.
    public static func text(of number: Double) -> String {
        if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }
}

/// One `"key": value` pair of a JSON object.
public struct JSONMember: Sendable, Equatable {
    /// The key, unescaped.
    public let key: String
    /// Its value.
    public let value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}
