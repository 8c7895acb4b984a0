import Foundation
import Hummingbird

/// Administration in the browser, for administrators only: customers, users and their API
/// keys (a new key is shown once), and registering a device (its bundle downloaded once). Each
/// action is a form with the anti-forgery token; those that take something away ask for a
/// confirmation. They call the store as the `tunnel-relay` commands do, audited as
/// `console:<administrator>`.
extension ConsoleRoutes {
    /// `/console/admin`: customers, users, and the forms to add them or register a device.
    func adminPage(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await administrator(request)
        let customers = try await store.customers()
        let users = try await store.users()
        var values = Self.pageValues("Administration", user: user, session: session)
        values["customers"] = customers.map { ["id": $0.id, "name": $0.name, "createdAt": Self.time($0.createdAt)] }
        values["users"] = users.map { record -> [String: Any] in
            [
                "id": record.id, "role": record.role.rawValue, "createdAt": Self.time(record.createdAt),
                "scope": record.role == .admin ? "every customer" : record.customers.joined(separator: ", "),
            ]
        }
        values["roles"] = UserRole.allCases.map { ["value": $0.rawValue, "selected": $0 == .viewer] }
        return html(pages.render("admin", values))
    }

    /// Adds a customer (`tunnel-relay customer add`).
    func addCustomer(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await administrator(request)
        let form = try await checkedForm(request, context, session: session)
        let id = try Self.field(form, "id", "customer ID")
        try CustomerRecord.validate(id: id)
        let name = try Self.displayName(form["name"], default: id)
        try await store.addCustomer(CustomerRecord(id: id, name: name, createdAt: Date()), by: "console:\(user.id)")
        return Self.redirect("/console/admin#customers")
    }

    /// Adds a user (`tunnel-relay user add`): an administrator reaches every customer, anyone
    /// else the customers named, which must exist.
    func addUser(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await administrator(request)
        let form = try await checkedForm(request, context, session: session)
        let id = try Self.field(form, "id", "user ID")
        try UserRecord.validate(id: id)
        let (role, customers) = try await roleAndCustomers(form)
        try await store.addUser(
            UserRecord(id: id, role: role, customers: role == .admin ? [] : customers, createdAt: Date()), by: "console:\(user.id)")
        return Self.redirect("/console/admin/users/\(id)")
    }

    /// Gives a user another role and customers (`tunnel-relay user set`), once confirmed; an
    /// administrator may not change their own (another one must).
    func changeUser(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await administrator(request)
        let form = try await checkedForm(request, context, session: session)
        let record = try await pathUser(context)
        guard record.id != user.id else {
            throw ConsoleRefusal(.forbidden, "you may not change your own role or customers; another administrator may")
        }
        let (role, customers) = try await roleAndCustomers(form)
        guard form["confirm"] == "yes" else {
            throw ConsoleRefusal(.badRequest, "confirm: tick \"Yes, change this user\" to change user \(record.id)")
        }
        try await store.changeUser(id: record.id, role: role, customers: customers, at: Date(), by: "console:\(user.id)")
        return Self.redirect("/console/admin/users/\(record.id)")
    }

    /// A user form's role and customers (separated by commas or spaces; they must exist).
    private func roleAndCustomers(_ form: [String: String]) async throws -> (UserRole, [String]) {
        guard let role = UserRole(rawValue: form["role"] ?? "") else {
            let names = UserRole.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConsoleRefusal(.badRequest, "role: expected one of \(names), found \"\(form["role"] ?? "")\"")
        }
        let customers = (form["customers"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        guard customers.count <= 64 else { throw ConsoleRefusal(.badRequest, "customers: at most 64, found \(customers.count)") }
        if role != .admin && customers.isEmpty {
            throw ConsoleRefusal(
                .badRequest,
                "customers: \(role == .viewer ? "a" : "an") \(role) needs at least one customer (administrators reach every customer)")
        }
        let known = Set(try await store.customers().map(\.id))
        for customer in customers where !known.contains(customer) {
            try CustomerRecord.validate(id: customer)
            throw ConsoleRefusal(.badRequest, "customers: no customer \"\(customer)\" (add it first)")
        }
        return (role, customers)
    }

    /// `/console/admin/users/<id>`: a user and their API keys.
    func userPage(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await administrator(request)
        let record = try await pathUser(context)
        let keys = try await store.apiKeys(userID: record.id)
        var values = Self.pageValues("User \(record.id)", user: user, session: session)
        values["roles"] = UserRole.allCases.map { ["value": $0.rawValue, "selected": $0 == record.role] }
        values["mayChange"] = record.id != user.id
        values["subject"] = [
            "id": record.id, "role": record.role.rawValue, "createdAt": Self.time(record.createdAt),
            "customers": record.customers.joined(separator: ", "),
            "scope": record.role == .admin ? "every customer" : record.customers.joined(separator: ", "),
            "hasPassword": try await store.passwordHash(userID: record.id) != nil,
        ]
        values["keys"] = keys.sorted { $0.createdAt > $1.createdAt }.map { key -> [String: Any] in
            [
                "id": key.id, "name": key.name, "createdAt": Self.time(key.createdAt), "lastUsed": Self.time(key.lastUsedAt),
                "revokedAt": Self.time(key.revokedAt), "active": key.revokedAt == nil,
            ]
        }
        return html(pages.render("user", values))
    }

    /// Creates an API key for the user (`tunnel-relay key create`) and shows it on a page that
    /// is not kept (`no-store`): the relay keeps only its hash.
    func createKey(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await administrator(request)
        let form = try await checkedForm(request, context, session: session)
        let record = try await pathUser(context)
        let name = try Self.displayName(form["name"], default: "console")
        let key = APIKey.generate()
        try await store.createAPIKey(
            APIKeyRecord(key: key, userID: record.id, name: name, createdAt: Date()), by: "console:\(user.id)")
        var values = Self.pageValues("A new API key for \(record.id)", user: user, session: session)
        values["created"] = ["user": record.id, "keyID": key.keyID, "name": name, "key": key.description]
        return html(pages.render("shownonce", values))
    }

    /// Revokes an API key (`tunnel-relay key revoke`), once confirmed.
    func revokeKey(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await administrator(request)
        let form = try await checkedForm(request, context, session: session)
        let id = try context.parameters.require("id")
        guard id.count <= 64, let key = try await store.apiKeys(userID: nil).first(where: { $0.id == id }) else {
            throw ConsoleRefusal(.notFound, "no API key \(id.prefix(64))")
        }
        guard form["confirm"] == "yes" else {
            throw ConsoleRefusal(.badRequest, "confirm: tick \"Yes, revoke this key\" to revoke key \(key.id)")
        }
        try await store.revokeAPIKey(id: key.id, at: Date(), by: "console:\(user.id)")
        return Self.redirect("/console/admin/users/\(key.userID)")
    }

    /// Registers a device (`tunnel-relay device add`) and gives its bundle as a download on a
    /// page shown once: the device's key is in that page only.
    func addDevice(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await administrator(request)
        let form = try await checkedForm(request, context, session: session)
        let id = try Self.field(form, "id", "device ID")
        let customer = form["customer"].flatMap { $0.isEmpty ? nil : $0 }
        let download = try await DeviceEnrollment.registerForDownload(
            deviceID: id, customer: customer, actor: "console:\(user.id)", store: store,
            dataDirectory: relay.configuration.dataDirectory)
        var values = Self.pageValues("Device \(id) registered", user: user, session: session)
        values["registered"] = [
            "id": id, "customer": download.customer, "folder": DeviceEnrollment.Download.folderName,
            "archive": "data:application/gzip;base64," + download.archive.base64EncodedString(),
            "fileName": "\(id)-bundle.tar.gz", "relay": publicAddress,
        ]
        return html(pages.render("shownonce", values))
    }

    /// Resets a device (`tunnel-relay device reset`), once confirmed: its credential stops
    /// working, its connection is cut, and its ID may register again.
    func resetDevice(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await administrator(request)
        let form = try await checkedForm(request, context, session: session)
        let device = try await visibleDevice(context, user: user)
        guard form["confirm"] == "yes" else {
            throw ConsoleRefusal(.badRequest, "confirm: tick \"Yes, reset this device\" to reset device \(device.id)")
        }
        _ = try await store.resetDevice(id: device.id, at: Date(), by: "console:\(user.id)")
        relay.disconnect(deviceID: device.id, reason: "the device was reset by \(user.id)")
        return Self.redirect("/console/devices/\(device.id)")
    }

    /// Moves a device to another customer (`tunnel-relay device move`), once confirmed.
    func moveDevice(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let (user, session) = try await administrator(request)
        let form = try await checkedForm(request, context, session: session)
        let device = try await visibleDevice(context, user: user)
        let customer = try Self.field(form, "customer", "customer")
        try CustomerRecord.validate(id: customer)
        guard form["confirm"] == "yes" else {
            throw ConsoleRefusal(.badRequest, "confirm: tick \"Yes, move this device\" to move device \(device.id)")
        }
        _ = try await store.moveDevice(id: device.id, toCustomer: customer, at: Date(), by: "console:\(user.id)")
        return Self.redirect("/console/devices/\(device.id)")
    }

    /// Who is signed in, refused unless an administrator.
    private func administrator(_ request: Request) async throws -> (UserRecord, ConsoleSessionRecord) {
        let (user, session) = try await signedIn(request)
        guard user.role == .admin else { throw ConsoleRefusal(.forbidden, "only an administrator may manage the relay") }
        return (user, session)
    }

    /// The user of the route's `:id`.
    private func pathUser(_ context: AdminRequestContext) async throws -> UserRecord {
        let id = try context.parameters.require("id")
        guard id.count <= 64, let record = try await store.user(id: id) else { throw ConsoleRefusal(.notFound, "no user \(id.prefix(64))") }
        return record
    }

    /// A form field that must be given.
    private static func field(_ form: [String: String], _ name: String, _ label: String) throws -> String {
        guard let value = form[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            throw ConsoleRefusal(.badRequest, "\(name): give the \(label)")
        }
        return value
    }

    /// A display name: at most 128 characters, none of them control characters.
    private static func displayName(_ text: String?, default fallback: String) throws -> String {
        let name = (text ?? "").trimmingCharacters(in: .whitespaces)
        guard name.count <= 128, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ConsoleRefusal(.badRequest, "name: at most 128 characters and no control characters")
        }
        return name.isEmpty ? fallback : name
    }
}
