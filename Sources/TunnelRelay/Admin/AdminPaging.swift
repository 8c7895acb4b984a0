/// The paging parameters of the list routes (`limit`, and the cursors `before` and `after`),
/// checked: a wrong one is a 400 naming it.
enum AdminPaging {
    /// `limit`: `default` when absent, else an integer from 1 to `maximum`.
    static func limit(_ text: String?, default: Int, maximum: Int) throws -> Int {
        guard let text else { return `default` }
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw AdminError(.badRequest, "invalidField", "limit: expected an integer from 1 to \(maximum), found \"\(text)\"")
        }
        return value
    }

    /// An audit entry ID cursor: nil when absent, else a positive integer.
    static func entryID(_ text: String?, name: String) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw AdminError(.badRequest, "invalidField", "\(name): expected an audit entry ID (a non-negative integer), found \"\(text)\"")
        }
        return value
    }
}
