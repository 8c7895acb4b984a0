import Foundation
import SharedWire

/// What a user may do.
public enum UserRole: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Everything, on every customer's devices, including taking over a control session.
    case admin
    /// Control and monitor sessions on their customers' devices.
    case engineer
    /// Monitor sessions only, on their customers' devices.
    case viewer

    public var description: String { rawValue }

    /// The session modes the role may open.
    public var sessionModes: [TunnelMessage.SessionMode] {
        self == .viewer ? [.monitor] : [.control, .monitor]
    }
}

/// A person or program that uses the relay through API keys.
public struct UserRecord: Sendable, Equatable {
    /// Login name: 1 to 64 letters, digits, `.`, `_`, `-`, `@`.
    public var id: String
    public var role: UserRole
    /// Customers whose devices the user may reach (sorted); ignored for administrators.
    public var customers: [String]
    public var createdAt: Date

    public init(id: String, role: UserRole, customers: [String], createdAt: Date) {
        self.id = id
        self.role = role
        self.customers = Array(Set(customers)).sorted()
        self.createdAt = createdAt
    }

    /// Whether the user may see `device` at all.
    public func maySee(_ device: DeviceRecord) -> Bool {
        role == .admin || customers.contains(device.customer)
    }

    /// Whether the user may open a `mode` session on `device`.
    public func mayOpen(_ mode: TunnelMessage.SessionMode, on device: DeviceRecord) -> Bool {
        maySee(device) && role.sessionModes.contains(mode)
    }

    /// Whether the user may take a device over from the control session holding it.
    public var mayTakeOver: Bool { role == .admin }

    public static func validate(id: String) throws {
        guard Identifier.isValid(id, allowAt: true) else {
            throw StoreError.invalid("user ID \"\(id)\" must be 1 to 64 letters, digits, '.', '_', '-' or '@'")
        }
    }
}

/// A customer: devices belong to one, users are scoped to some.
public struct CustomerRecord: Sendable, Equatable {
    /// 1 to 64 letters, digits, `.`, `_`, `-`.
    public var id: String
    /// Display name.
    public var name: String
    public var createdAt: Date

    public init(id: String, name: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }

    public static func validate(id: String) throws {
        guard Identifier.isValid(id) else {
            throw StoreError.invalid("customer ID \"\(id)\" must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
    }
}
