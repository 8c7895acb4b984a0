import Foundation

/// Follows the audit log by entry `id`, the store's insertion order, so that a node sees every
/// entry once whatever the clocks of the nodes say and however many entries share a
/// millisecond. Pure: the caller reads `AuditQuery(afterID: cursor.afterID)` and hands the
/// batch to `take(_:now:)`.
///
/// On PostgreSQL an id is drawn when a transaction inserts, not when it commits, so a later
/// id can become visible before an earlier one. An id missing below ones already seen is
/// waited for, up to `gapPatience`: then it is taken to belong to a transaction that rolled
/// back, and passed over.
struct AuditCursor: Sendable {
    /// Every id at or below it has been handed out or passed over.
    private(set) var watermark: Int64
    /// Ids above the watermark already handed out.
    private var seen: Set<Int64> = []
    /// When the id just above the watermark was first found missing.
    private var gapSince: Date?
    /// How long a missing id is waited for.
    let gapPatience: TimeInterval

    /// A cursor that hands out the entries after `id` (the newest id when the node starts).
    init(after id: Int64, gapPatience: TimeInterval = 10) {
        watermark = id
        self.gapPatience = gapPatience
    }

    /// The `afterID` of the next read.
    var afterID: Int64 { watermark }

    /// The entries of `batch` (read with `afterID`) not handed out before, in id order.
    mutating func take(_ batch: [AuditEntry], now: Date) -> [AuditEntry] {
        let fresh = batch.filter { entry in
            guard let id = entry.id else { return false }
            return id > watermark && !seen.contains(id)
        }.sorted { $0.id! < $1.id! }
        seen.formUnion(fresh.compactMap(\.id))
        advance()
        if let lowest = seen.min() {
            if let since = gapSince, now.timeIntervalSince(since) >= gapPatience {
                watermark = lowest - 1
                advance()
                gapSince = seen.isEmpty ? nil : now
            } else if gapSince == nil {
                gapSince = now
            }
        } else {
            gapSince = nil
        }
        return fresh
    }

    /// Moves the watermark over the ids seen right above it.
    private mutating func advance() {
        while seen.remove(watermark + 1) != nil { watermark += 1 }
    }
}
