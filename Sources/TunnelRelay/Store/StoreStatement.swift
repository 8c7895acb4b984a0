/// One SQL statement written once for both databases. Interpolated values are bound, never
/// spliced into the text (`"SELECT * FROM devices WHERE id = \(id)"`), and numbered in the
/// dialect's spelling when the statement runs; the few words the dialects spell differently
/// are interpolated as such (`\(literal: true)`, `\(.rowLock)`).
struct StoreStatement: Sendable, ExpressibleByStringInterpolation {
    /// What the dialect decides when the statement is rendered.
    enum Part: Sendable {
        case sql(String)
        case value(StoreValue)
        case literal(Bool)
        case rowLock
        case now
    }

    private(set) var parts: [Part]

    /// Locks the rows a SELECT in a transaction reads until the transaction ends (see
    /// `SQLDialect.rowLock`).
    static let rowLock = StoreStatement(parts: [.rowLock])
    /// The database's clock (see `SQLDialect.now`).
    static let now = StoreStatement(parts: [.now])

    private init(parts: [Part]) {
        self.parts = parts
    }

    init(stringLiteral text: String) {
        parts = [.sql(text)]
    }

    init(stringInterpolation: Interpolation) {
        parts = stringInterpolation.parts
    }

    struct Interpolation: StringInterpolationProtocol {
        fileprivate var parts: [Part] = []

        init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(2 * interpolationCount + 1)
        }

        mutating func appendLiteral(_ literal: String) {
            parts.append(.sql(literal))
        }

        /// A value, bound.
        mutating func appendInterpolation(_ value: some StoreValueConvertible) {
            parts.append(.value(value.storeValue))
        }

        /// A value or NULL, bound.
        mutating func appendInterpolation<Value: StoreValueConvertible>(_ value: Value?) {
            parts.append(.value(value.storeValue))
        }

        /// A boolean written into the text, as the dialect spells it (where a partial index
        /// must see the constant).
        mutating func appendInterpolation(literal: Bool) {
            parts.append(.literal(literal))
        }

        /// Another statement's text and values, in place (a condition built apart, `.rowLock`).
        mutating func appendInterpolation(_ statement: StoreStatement) {
            parts += statement.parts
        }
    }

    /// `statements` one after the other, `separator` between them.
    static func joined(_ statements: [StoreStatement], separator: String) -> StoreStatement {
        var joined = StoreStatement(parts: [])
        for (index, statement) in statements.enumerated() {
            if index > 0 { joined.parts.append(.sql(separator)) }
            joined.parts += statement.parts
        }
        return joined
    }

    /// `WHERE` and `conditions` joined by `AND`; nothing when there are none.
    static func whereClause(_ conditions: [StoreStatement]) -> StoreStatement {
        conditions.isEmpty ? "" : "WHERE \(joined(conditions, separator: " AND "))"
    }

    /// The text in `dialect`'s spelling, with the values to bind in placeholder order.
    func rendered(in dialect: SQLDialect) -> (sql: String, binds: [StoreValue]) {
        var sql = ""
        var binds: [StoreValue] = []
        for part in parts {
            switch part {
            case .sql(let text): sql += text
            case .value(let value):
                binds.append(value)
                sql += dialect.placeholderPrefix + String(binds.count)
            case .literal(let value): sql += value ? dialect.trueLiteral : dialect.falseLiteral
            case .rowLock: sql += dialect.rowLock
            case .now: sql += dialect.now
            }
        }
        return (sql, binds)
    }
}
