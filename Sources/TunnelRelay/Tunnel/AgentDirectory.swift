import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// The agents connected to this relay now: device ID to control connection.
public final class AgentDirectory: Sendable {
    /// One connected agent.
    public struct Entry: Sendable {
        public let deviceID: String
        public let channel: any Channel
        public let software: String
        public let connectedAt: Date
    }

    private let entries = NIOLockedValueBox([String: Entry]())

    public init() {}

    /// Registers an agent; returns the connection it replaces, which the caller closes.
    @discardableResult
    func register(_ entry: Entry) -> Entry? {
        entries.withLockedValue { entries in
            let old = entries[entry.deviceID]
            entries[entry.deviceID] = entry
            return old
        }
    }

    /// Removes the agent if `channel` is still its registered connection; true when it was.
    @discardableResult
    func remove(deviceID: String, channel: any Channel) -> Bool {
        entries.withLockedValue { entries in
            guard entries[deviceID]?.channel === channel else { return false }
            entries[deviceID] = nil
            return true
        }
    }

    public func entry(deviceID: String) -> Entry? {
        entries.withLockedValue { $0[deviceID] }
    }

    public var count: Int { entries.withLockedValue { $0.count } }

    public var all: [Entry] { entries.withLockedValue { Array($0.values) } }
}
