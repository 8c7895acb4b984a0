import Foundation

/// One row a statement returned, its columns by name, read as the types the records need. A
/// column that is missing or holds another kind of value is an error, never a default: the
/// rows come from a file or a server the relay does not control.
struct StoreRow: Sendable, Equatable {
    private let columns: [String: StoreValue]

    init(_ columns: [String: StoreValue]) {
        self.columns = columns
    }

    /// The value of `column`; throws when the row has no such column.
    func value(_ column: String) throws -> StoreValue {
        guard let value = columns[column] else { throw Self.unreadable(column, "is not in the row") }
        return value
    }

    func string(_ column: String) throws -> String {
        try required(column, optionalString(column))
    }

    func optionalString(_ column: String) throws -> String? {
        switch try value(column) {
        case .text(let text): return text
        case .null: return nil
        case let other: throw Self.unreadable(column, "holds \(other.kind), not text")
        }
    }

    func int(_ column: String) throws -> Int {
        try required(column, optionalInt(column))
    }

    func optionalInt(_ column: String) throws -> Int? {
        switch try value(column) {
        case .integer(let integer): return integer
        case .null: return nil
        case let other: throw Self.unreadable(column, "holds \(other.kind), not an integer")
        }
    }

    /// A boolean column: PostgreSQL's `BOOLEAN`, or SQLite's `INTEGER` (0 is false).
    func bool(_ column: String) throws -> Bool {
        switch try value(column) {
        case .bool(let bool): return bool
        case .integer(let integer): return integer != 0
        case let other: throw Self.unreadable(column, "holds \(other.kind), not a boolean")
        }
    }

    func date(_ column: String) throws -> Date {
        try required(column, optionalDate(column))
    }

    /// A time column: PostgreSQL's `TIMESTAMPTZ`, or SQLite's `INTEGER` milliseconds since
    /// 1970; at the stores' precision either way.
    func optionalDate(_ column: String) throws -> Date? {
        switch try value(column) {
        case .time(let date): return date.storedPrecision
        case .integer(let milliseconds): return Date(milliseconds: milliseconds)
        case .null: return nil
        case let other: throw Self.unreadable(column, "holds \(other.kind), not a time")
        }
    }

    func bytes(_ column: String) throws -> [UInt8] {
        switch try value(column) {
        case .bytes(let bytes): return bytes
        case let other: throw Self.unreadable(column, "holds \(other.kind), not bytes")
        }
    }

    private func required<T>(_ column: String, _ value: T?) throws -> T {
        guard let value else { throw Self.unreadable(column, "is NULL") }
        return value
    }

    private static func unreadable(_ column: String, _ problem: String) -> StoreError {
        .unavailable("the database's column \"\(column)\" \(problem)")
    }
}
