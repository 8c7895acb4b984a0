import Foundation

/// One page of the console's fleet view: search, filter and sort run in the store's query, so
/// a page costs the same at ten or ten thousand devices.
public struct FleetQuery: Sendable, Equatable {
    /// Devices per page.
    public static let pageSize = 50

    /// The order of the page.
    public enum Sort: String, Sendable, CaseIterable {
        case id
        case customer
        case lastSeen = "last-seen"
        case online
    }

    /// The user whose devices are listed: an administrator sees all, the others their customers'.
    public var visibleTo: UserRecord
    /// Text found (case-insensitively) in the device ID or its customer; `nil` for any.
    public var search: String?
    /// Only this customer's devices; `nil` for any.
    public var customer: String?
    /// Only online (`true`) or offline (`false`) devices; `nil` for both.
    public var online: Bool?
    public var sort: Sort
    public var descending: Bool
    /// 1-based.
    public var page: Int

    public init(
        visibleTo: UserRecord, search: String? = nil, customer: String? = nil, online: Bool? = nil, sort: Sort = .id,
        descending: Bool = false, page: Int = 1
    ) {
        self.visibleTo = visibleTo
        self.search = search
        self.customer = customer
        self.online = online
        self.sort = sort
        self.descending = descending
        self.page = max(1, page)
    }
}

/// What a `FleetQuery` found.
public struct FleetPage: Sendable, Equatable {
    /// A device with the number of its sessions claimed and not ended.
    public struct Row: Sendable, Equatable {
        public var device: DeviceRecord
        public var activeSessions: Int
    }

    public var rows: [Row]
    /// Devices matching the query on every page.
    public var total: Int

    public var pageCount: Int { max(1, (total + FleetQuery.pageSize - 1) / FleetQuery.pageSize) }
}
