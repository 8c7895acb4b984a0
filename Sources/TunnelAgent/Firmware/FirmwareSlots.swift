import Crypto
import Foundation
import ProgramSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The agent's installed images, A/B style, in `<state>/firmware/`:
///
///     images/<slot>/tunnel-agent   an image, with manifest.json beside it
///     current -> images/<slot>     what the launcher starts; absent: the packaged executable
///     trial.json                   a new version that has yet to report UPDATED
///     outcome.json                 how the last update ended, until reported
///     failed.json                  an assignment that failed, not tried again
///     download/<name>.part         the image being downloaded
///
/// Slot and file names are hex digests this code makes; nothing from the portal becomes a path.
/// Every change is a write to a new file and a rename, so a power cut leaves the old or the new.
struct FirmwareSlots: Sendable {
    let root: String

    init(stateDirectory: String) {
        root = stateDirectory + "/firmware"
    }

    var images: String { root + "/images" }
    var currentLink: String { root + "/current" }
    var trialPath: String { root + "/trial.json" }
    var outcomePath: String { root + "/outcome.json" }
    var failedPath: String { root + "/failed.json" }
    var downloads: String { root + "/download" }

    /// An installed image.
    struct Slot: Sendable, Equatable {
        let name: String
        let executable: String
        let manifest: FirmwareManifest
    }

    func executable(of name: String) -> String { images + "/" + name + "/tunnel-agent" }

    /// The slot `current` points at, if it is one of ours.
    var currentName: String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: currentLink),
            target.hasPrefix("images/")
        else { return nil }
        let name = String(target.dropFirst("images/".count))
        return Self.isSlotName(name) ? name : nil
    }

    func slot(_ name: String) -> Slot? {
        guard Self.isSlotName(name),
            let manifest = FirmwareRecordFile.read(FirmwareManifest.self, at: images + "/" + name + "/manifest.json")
        else { return nil }
        return Slot(name: name, executable: executable(of: name), manifest: manifest)
    }

    var trial: FirmwareTrial? { FirmwareRecordFile.read(FirmwareTrial.self, at: trialPath) }
    var outcome: FirmwareOutcome? { FirmwareRecordFile.read(FirmwareOutcome.self, at: outcomePath) }
    var failedTarget: FirmwareTarget? { FirmwareRecordFile.read(FirmwareTarget.self, at: failedPath) }

    func save(_ trial: FirmwareTrial) throws { try FirmwareRecordFile.write(trial, to: trialPath) }
    func clearOutcome() { try? FileManager.default.removeItem(atPath: outcomePath) }

    /// Where the image of `target` is downloaded to.
    func download(of target: FirmwareTarget) throws -> String {
        try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: true)
        return downloads + "/" + target.fileName + ".part"
    }

    /// Removes downloads other than `keeping` (a path `download(of:)` gave).
    func removeDownloads(keeping: String? = nil) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: downloads)) ?? [] where downloads + "/" + name != keeping {
            try? FileManager.default.removeItem(atPath: downloads + "/" + name)
        }
    }

    /// Moves the verified image at `image` into a slot, puts it on trial and makes it current.
    /// `check` runs the slot's executable before it becomes current.
    func install(
        image: String, target: FirmwareTarget, trialSeconds: Int, now: Double, check: (String) async throws -> Void
    ) async throws -> FirmwareTrial {
        let name = try Self.slotName(of: image)
        let folder = images + "/" + name
        let incoming = images + "/.incoming"
        let files = FileManager.default
        try? files.removeItem(atPath: incoming)
        try files.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        try files.moveItem(atPath: image, toPath: incoming + "/tunnel-agent")
        guard chmod(incoming + "/tunnel-agent", 0o755) == 0 else {
            throw FirmwareFailure("the new executable cannot be made executable: \(String(cString: strerror(errno)))")
        }
        try FirmwareRecordFile.write(
            FirmwareManifest(title: target.title, version: target.version, installedAt: now), to: incoming + "/manifest.json")
        do {
            try await check(incoming + "/tunnel-agent")
        } catch {
            try? files.removeItem(atPath: incoming)
            throw error
        }
        if name != currentName { try? files.removeItem(atPath: folder) }
        if !files.fileExists(atPath: folder) { try files.moveItem(atPath: incoming, toPath: folder) }
        DurableFile.syncFolder(of: folder)
        let trial = FirmwareTrial(
            slot: name, previous: currentName, target: target, deadline: now + Double(trialSeconds), launches: 0)
        try save(trial)
        try point(to: name)
        return trial
    }

    /// The new version reported UPDATED: it stays, and only it and the one before are kept.
    func commit(_ trial: FirmwareTrial) {
        try? FileManager.default.removeItem(atPath: trialPath)
        try? FileManager.default.removeItem(atPath: failedPath)
        removeDownloads()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: images)) ?? []
        where name != trial.slot && name != trial.previous {
            try? FileManager.default.removeItem(atPath: images + "/" + name)
        }
    }

    /// The new version failed its trial: the previous slot (or the packaged executable) comes
    /// back, the outcome is kept for it to report, and the assignment is not tried again.
    func rollBack(_ trial: FirmwareTrial, reason: String) throws {
        try FirmwareRecordFile.write(
            FirmwareOutcome(title: trial.target.title, version: trial.target.version, state: "FAILED", error: reason), to: outcomePath)
        try FirmwareRecordFile.write(trial.target, to: failedPath)
        if let previous = trial.previous {
            try point(to: previous)
        } else if unlink(currentLink) != 0 && errno != ENOENT {
            throw FirmwareFailure("\(currentLink) cannot be removed: \(String(cString: strerror(errno)))")
        }
        DurableFile.syncFolder(of: currentLink)
        try? FileManager.default.removeItem(atPath: trialPath)
        if trial.slot != trial.previous { try? FileManager.default.removeItem(atPath: images + "/" + trial.slot) }
    }

    /// One line on the version that runs and the last update, for `tunnel-agent status`.
    var summary: String {
        var text = "version: the package's (\(ProductVersion.number))"
        if let name = currentName, let slot = slot(name) {
            text = "version: \(slot.manifest.version), installed over the air (\(slot.executable))"
        }
        if let trial { text += "; on trial until \(Date(timeIntervalSince1970: trial.deadline).formatted(.iso8601))" }
        if let outcome { text += "; last update \(outcome.version): \(outcome.state) \(outcome.error ?? "")" }
        return text
    }

    /// An assignment that failed before any install (download, checksum, image checks).
    func recordFailure(_ target: FirmwareTarget) {
        try? FirmwareRecordFile.write(target, to: failedPath)
    }

    func dropTrial() {
        try? FileManager.default.removeItem(atPath: trialPath)
    }

    /// Points `current` at slot `name`: a new link, renamed over the old one.
    private func point(to name: String) throws {
        let temporary = currentLink + ".new"
        unlink(temporary)
        guard symlink("images/" + name, temporary) == 0, rename(temporary, currentLink) == 0 else {
            throw FirmwareFailure("\(currentLink) cannot be pointed at the new version: \(String(cString: strerror(errno)))")
        }
        DurableFile.syncFolder(of: currentLink)
    }

    /// A slot's name: the first 16 bytes of the image's SHA-256, in hex.
    static func slotName(of image: String) throws -> String {
        String(FirmwareChecksum.hex(try FirmwareChecksum.digest(file: image, algorithm: .sha256)).prefix(32))
    }

    static func isSlotName(_ name: String) -> Bool {
        name.count == 32 && name.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
