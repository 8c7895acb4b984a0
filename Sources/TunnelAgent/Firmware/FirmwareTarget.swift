import AgentConfig
import Crypto

/// The firmware the portal assigns to this gateway: ThingsBoard's shared attributes `fw_title`,
/// `fw_version`, `fw_size`, `fw_checksum` and `fw_checksum_algorithm`. Every value comes from
/// the portal, so each is checked before use, and none ever becomes part of a path.
struct FirmwareTarget: Sendable, Equatable, Codable {
    /// The package's title; this gateway takes only `FirmwareTarget.ownTitle`.
    let title: String
    /// The package's version, as the portal shows it.
    let version: String
    /// The image's size in bytes.
    let size: Int
    /// The image's checksum, as ThingsBoard writes it for `algorithm`.
    let checksum: String
    let algorithm: FirmwareChecksumAlgorithm

    /// The shared attributes that describe an assignment.
    static let keys = ["fw_title", "fw_version", "fw_size", "fw_checksum", "fw_checksum_algorithm"]
    /// The title of this program's packages: an image with another title is for another kind of device.
    static let ownTitle = "tunnel-agent"
    /// Largest image taken: a statically linked agent is about 60 MB; four times that is room enough.
    static let maxImageBytes = 256 * 1024 * 1024
    /// Longest title, version or checksum text taken.
    static let maxTextLength = 128

    /// What the attributes say.
    enum Reading: Sendable, Equatable {
        /// No firmware is assigned (none of the keys, or all deleted).
        case unassigned
        case assigned(FirmwareTarget)
        /// An assignment that cannot be used, and why.
        case invalid(String)
    }

    /// The assignment in `values` (the fw_* attributes as last received).
    static func read(_ values: [String: JSONValue]) -> Reading {
        guard keys.contains(where: { values[$0] != nil }) else { return .unassigned }
        guard let title = values["fw_title"]?.stringValue, isPrintable(title) else {
            return .invalid("fw_title must be text of 1 to \(maxTextLength) printable characters")
        }
        guard let version = values["fw_version"]?.stringValue, isPrintable(version) else {
            return .invalid("fw_version must be text of 1 to \(maxTextLength) printable characters")
        }
        guard let number = values["fw_size"]?.numberValue, number == number.rounded(), number >= 1, number <= Double(maxImageBytes) else {
            return .invalid("fw_size must be a whole number of bytes from 1 to \(maxImageBytes)")
        }
        guard let checksum = values["fw_checksum"]?.stringValue, !checksum.isEmpty, checksum.count <= maxTextLength,
            checksum.unicodeScalars.allSatisfy({
                $0.properties.isAlphabetic || ("0"..."9").contains($0) || "+/=".unicodeScalars.contains($0)
            })
        else {
            return .invalid("fw_checksum must be hexadecimal or base64 text of at most \(maxTextLength) characters")
        }
        let algorithmName = values["fw_checksum_algorithm"]?.stringValue ?? FirmwareChecksumAlgorithm.sha256.rawValue
        guard let algorithm = FirmwareChecksumAlgorithm(rawValue: algorithmName.uppercased()) else {
            return .invalid(
                "fw_checksum_algorithm \(String(algorithmName.prefix(40))) is not one of "
                    + FirmwareChecksumAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return .assigned(FirmwareTarget(title: title, version: version, size: Int(number), checksum: checksum, algorithm: algorithm))
    }

    /// A name for this assignment made of hex digits only: the download's file name.
    var fileName: String {
        let text = [title, version, String(size), algorithm.rawValue, checksum].joined(separator: "\n")
        return FirmwareChecksum.hex(SHA256.hash(data: Array(text.utf8)).prefix(12))
    }

    private static func isPrintable(_ text: String) -> Bool {
        !text.isEmpty && text.count <= maxTextLength && text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }
}
