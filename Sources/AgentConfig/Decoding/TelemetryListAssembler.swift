/// Joins list slices (a BV2 line of eight cells, a per-cell CAN frame) into the whole list of
/// their key, so the uplink can publish every cell at once.
public struct TelemetryListAssembler: Sendable {
    /// Longest list kept. A G1 Control Unit has at most 255 cells; the cap bounds memory when
    /// a hostile or corrupt index field claims cell 65535.
    public static let maxElements = 1024

    private var lists: [String: [Double?]] = [:]

    public init() {}

    /// For a list slice: the key's whole list so far, from element 0, nil where nothing valid
    /// has arrived. Any other value is returned as it is.
    public mutating func merge(_ value: TelemetryValue) -> TelemetryValue {
        guard case .list(let first, let elements) = value.value else { return value }
        var list = lists[value.key] ?? []
        // Checked: a slice's position comes from the wire (a G1 index field, a CAN id).
        let (sum, overflow) = first.addingReportingOverflow(elements.count)
        let end = overflow ? Self.maxElements : min(sum, Self.maxElements)
        if first >= 0, first < end {
            if list.count < end { list += Array(repeating: nil, count: end - list.count) }
            list.replaceSubrange(first..<end, with: elements.prefix(end - first))
        }
        lists[value.key] = list
        return TelemetryValue(key: value.key, value: .list(first: 0, elements: list), units: value.units, isDecimal: value.isDecimal)
    }
}
