/// Where a value sits in a JSON document, written as in JSONPath: `$.protocols.can.packets.X19B50000.params.minVolt.bits`,
/// `$.routes[2].from.param`, `$.wifi["odd key"]`.
struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    /// One step down from the document's root.
    enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    /// The steps from `$`.
    let steps: [Step]

    /// The document itself, `$`.
    static let root = JSONPath(steps: [])

    /// This path and then a key.
    func appending(_ key: String) -> JSONPath { JSONPath(steps: steps + [.key(key)]) }

    /// This path and then an array index.
    func appending(_ index: Int) -> JSONPath { JSONPath(steps: steps + [.index(index)]) }

    var description: String {
        "$"
            + steps.map { step in
                switch step {
                case .index(let index): "[\(index)]"
                case .key(let key) where Self.isPlainName(key): ".\(key)"
                case .key(let key):
                    "[\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"]"
                }
            }.joined()
    }

    /// A key written with a dot: letters, digits and `_`, not starting with a digit.
    private static func isPlainName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return key.unicodeScalars.allSatisfy {
            $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
        }
    }
}
