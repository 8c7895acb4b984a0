import Foundation

/// Compact JSON text of the uplink's messages: keys sorted, `/` not escaped.
enum UplinkJSON {
    static func text(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // These types hold only strings, integers and booleans, which always encode.
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
