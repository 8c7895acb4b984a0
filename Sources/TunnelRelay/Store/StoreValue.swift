import Foundation

/// A value bound to a statement or read from a row, in terms both databases share. Each
/// adapter maps the two kinds the schemas spell differently: `.bool` (SQLite `INTEGER` 0 or 1,
/// PostgreSQL `BOOLEAN`) and `.time` (SQLite `INTEGER` milliseconds since 1970, PostgreSQL
/// `TIMESTAMPTZ`).
enum StoreValue: Sendable, Equatable {
    case text(String)
    case integer(Int)
    case real(Double)
    case bytes([UInt8])
    case bool(Bool)
    /// A point in time, kept at the stores' precision (milliseconds).
    case time(Date)
    case null

    /// What kind of value this is, for errors (never the value: it may be a secret's hash).
    var kind: String {
        switch self {
        case .text: "text"
        case .integer: "an integer"
        case .real: "a real number"
        case .bytes: "bytes"
        case .bool: "a boolean"
        case .time: "a time"
        case .null: "NULL"
        }
    }
}

/// A Swift value a statement can bind: `"… WHERE id = \(id)"` (see `StoreStatement`).
protocol StoreValueConvertible {
    var storeValue: StoreValue { get }
}

extension String: StoreValueConvertible {
    var storeValue: StoreValue { .text(self) }
}

extension Int: StoreValueConvertible {
    var storeValue: StoreValue { .integer(self) }
}

extension Int64: StoreValueConvertible {
    var storeValue: StoreValue { .integer(Int(self)) }
}

extension Bool: StoreValueConvertible {
    var storeValue: StoreValue { .bool(self) }
}

extension Date: StoreValueConvertible {
    var storeValue: StoreValue { .time(storedPrecision) }
}

extension [UInt8]: StoreValueConvertible {
    var storeValue: StoreValue { .bytes(self) }
}

extension Optional: StoreValueConvertible where Wrapped: StoreValueConvertible {
    var storeValue: StoreValue { map(\.storeValue) ?? .null }
}

extension Date {
    /// Milliseconds since 1970: the precision both stores keep.
    var milliseconds: Int { Int((timeIntervalSince1970 * 1000).rounded()) }

    init(milliseconds: Int?) {
        self.init(timeIntervalSince1970: Double(milliseconds ?? 0) / 1000)
    }

    /// This time at the precision the stores keep.
    var storedPrecision: Date { Date(milliseconds: milliseconds) }
}
