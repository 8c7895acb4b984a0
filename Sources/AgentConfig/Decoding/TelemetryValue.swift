/// One decoded value under its telemetry key, as the uplink publishes it.
public struct TelemetryValue: Sendable, Equatable, CustomStringConvertible {
    /// What a param gives.
    public enum Value: Sendable, Equatable {
        /// A scaled number.
        case number(Double)
        /// Text, for example a firmware version.
        case text(String)
        /// A flag: a bit of a status field, or a BOOL param.
        case flag(Bool)
        /// Part of a list from element `first` (0-based) on: per-cell values come one group per
        /// sentence or frame (`TelemetryListAssembler` joins them). A nil element is a value
        /// outside valid_bot…valid_top that is not sent (send_invalid false).
        case list(first: Int, elements: [Double?])
    }

    /// The telemetry key, for example `packVoltage`.
    public let key: String
    /// The value.
    public let value: Value
    /// Units, for example "V"; nil when none.
    public let units: String?
    /// Numbers of this key are doubles: always written with a decimal point (`12.0`), so the
    /// portal never sees the key's type flip between long and double. From the param's scaling
    /// (`ParamScaling.givesFractions`).
    public let isDecimal: Bool

    public init(key: String, value: Value, units: String? = nil, isDecimal: Bool = false) {
        self.key = key
        self.value = value
        self.units = units
        self.isDecimal = isDecimal
    }

    public var description: String {
        let text: String
        switch value {
        case .number(let number): text = "\(number)"
        case .text(let string): text = "\"\(string)\""
        case .flag(let flag): text = "\(flag)"
        case .list(let first, let elements): text = "[\(first)…] " + elements.map { $0.map { "\($0)" } ?? "null" }.joined(separator: ", ")
        }
        return "\(key)=\(text)" + (units.map { " \($0)" } ?? "")
    }
}
