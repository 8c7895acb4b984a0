import Foundation

/// What is known of an installed image, kept beside it (`images/<slot>/manifest.json`).
struct FirmwareManifest: Sendable, Codable, Equatable {
    let title: String
    let version: String
    /// When it was installed, seconds since 1970.
    let installedAt: Double
}

/// A new version on trial: it must report UPDATED before `deadline`, within `FirmwareBoot.maxLaunches`
/// starts, or the slot that ran before (`previous`; nil is the packaged executable) comes back.
struct FirmwareTrial: Sendable, Codable, Equatable {
    let slot: String
    let previous: String?
    let target: FirmwareTarget
    /// Seconds since 1970.
    let deadline: Double
    /// How often the new version was started so far.
    var launches: Int
}

/// How the last update ended, for whichever version runs next to report (`fw_state`).
struct FirmwareOutcome: Sendable, Codable, Equatable {
    let title: String
    let version: String
    /// "UPDATED" or "FAILED".
    let state: String
    let error: String?
}

/// Reads and writes the records as JSON files.
enum FirmwareRecordFile {
    static func read<Record: Decodable>(_ type: Record.Type, at path: String) -> Record? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }

    static func write(_ record: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try DurableFile.write(Array(try encoder.encode(record)), to: path)
    }
}
