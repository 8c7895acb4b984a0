import Foundation
import NIOPosix

/// Registering a device by hand, as an administrator does with `tunnel-relay device add` or the
/// console: its credential bundle (certificate, key, relay CA) issued into a folder, then its
/// registration recorded. A registration that loses (the ID registered meanwhile) removes the
/// bundle it wrote.
enum DeviceEnrollment {
    /// Registers `deviceID` for `customer` (nil: a reset device's own, "default" for a new
    /// one), writing the bundle into `bundle`; returns the customer it belongs to.
    static func register(
        deviceID: String, customer asked: String?, bundle: String, actor: String, store: any RelayStore, dataDirectory: String
    ) async throws -> String {
        try DeviceRecord.validate(id: deviceID)
        if let asked { try CustomerRecord.validate(id: asked) }
        let existing = try await store.device(id: deviceID)
        let customer = asked ?? existing?.customer ?? "default"
        // Checked first so that a plain mistake writes no files; the registration itself is
        // what decides, also against a racing registration.
        if let existing, existing.registeredAt != nil {
            try await store.appendAudit(
                AuditEntry(
                    at: Date(), event: .registrationRefused, actor: actor, deviceID: deviceID,
                    reason: "the device ID is already registered; an administrator must reset it first"))
            throw StoreError.deviceExists(deviceID)
        }
        let certificate = try RelayCredentials(dataDirectory: dataDirectory).issueDeviceBundle(deviceID: deviceID, into: bundle)
        do {
            try await store.registerDevice(
                DeviceRegistration(
                    deviceID: deviceID, customer: customer, certificateSerial: "\(certificate.serialNumber)", at: Date(), actor: actor))
        } catch {
            RelayCredentials.Bundle(directory: bundle).remove()
            throw error
        }
        return customer
    }
}

extension DeviceEnrollment {
    /// What the console hands an administrator for a device it registered: a gzipped tar of
    /// the bundle (folder `tunnel-agent-bundle`), made in a private temporary folder that is
    /// removed at once, so the device's key is kept nowhere on the relay.
    struct Download: Sendable {
        let customer: String
        let archive: Data
        static let folderName = "tunnel-agent-bundle"

        /// tar could not pack the bundle (the device stays registered: reset it and add it again).
        struct PackingError: Error, CustomStringConvertible {
            let status: Int32
            var description: String { "tar could not pack the device's bundle (exit status \(status))" }
        }
    }

    /// Registers the device as `register` does and returns its bundle as an archive.
    static func registerForDownload(
        deviceID: String, customer: String?, actor: String, store: any RelayStore, dataDirectory: String
    ) async throws -> Download {
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("tunnel-relay-bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: staging) }
        let folder = staging.appendingPathComponent(Download.folderName).path
        let customer = try await register(
            deviceID: deviceID, customer: customer, bundle: folder, actor: actor, store: store, dataDirectory: dataDirectory)
        let archive = staging.appendingPathComponent("bundle.tar.gz").path
        try await NIOThreadPool.singleton.runIfActive {
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
            tar.arguments = ["-czf", archive, "-C", staging.path, Download.folderName]
            try tar.run()
            tar.waitUntilExit()
            guard tar.terminationStatus == 0 else {
                throw Download.PackingError(status: tar.terminationStatus)
            }
        }
        return Download(customer: customer, archive: try Data(contentsOf: URL(fileURLWithPath: archive)))
    }
}

extension RelayCredentials.Bundle {
    /// Deletes the bundle's files.
    func remove() {
        for path in [certificatePath, keyPath, caPath] { try? FileManager.default.removeItem(atPath: path) }
    }
}
