import Crypto
import Foundation

/// Checks an image against the checksum the portal gives, in ThingsBoard's text for each
/// algorithm: lowercase hex of the digest for MD5 and SHA-*, the CRC-32 value in hex without
/// leading zeros, and for MurmurHash3 the base64 of the hash's bytes read as UTF-8 text (what
/// ThingsBoard's server computes). For MurmurHash3 the plain hex and base64 of the bytes are
/// taken too.
enum FirmwareChecksum {
    /// Bytes read from the file at a time.
    static let readSize = 1 << 20

    /// Whether the file at `path` has `expected` as its `algorithm` checksum.
    static func matches(file path: String, algorithm: FirmwareChecksumAlgorithm, expected: String) throws -> Bool {
        contains(accepted(try digest(file: path, algorithm: algorithm), algorithm: algorithm), expected)
    }

    /// Whether `expected` is one of `texts`, letter case and surrounding blanks aside.
    static func contains(_ texts: [String], _ expected: String) -> Bool {
        let expected = expected.trimmingCharacters(in: .whitespaces)
        return texts.contains { $0.caseInsensitiveCompare(expected) == .orderedSame }
    }

    /// The file's digest bytes (for CRC-32 the value, big-endian).
    static func digest(file path: String, algorithm: FirmwareChecksumAlgorithm) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FirmwareFailure("the downloaded image \(path) cannot be read")
        }
        defer { try? handle.close() }
        switch algorithm {
        case .md5: return try stream(handle, into: Insecure.MD5())
        case .sha256: return try stream(handle, into: SHA256())
        case .sha384: return try stream(handle, into: SHA384())
        case .sha512: return try stream(handle, into: SHA512())
        case .crc32:
            var crc = CRC32()
            while let data = try handle.read(upToCount: readSize), !data.isEmpty { crc.update(data) }
            return withUnsafeBytes(of: crc.value.bigEndian, Array.init)
        case .murmur3x32:
            return Murmur3.hash32(Array(try handle.readToEnd() ?? Data()))
        case .murmur3x128:
            return Murmur3.hash128(Array(try handle.readToEnd() ?? Data()))
        }
    }

    /// The texts of `digest` that count as a match.
    static func accepted(_ digest: [UInt8], algorithm: FirmwareChecksumAlgorithm) -> [String] {
        switch algorithm {
        case .md5, .sha256, .sha384, .sha512:
            return [hex(digest)]
        case .crc32:
            let value = digest.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return [String(value, radix: 16), hex(digest)]
        case .murmur3x32, .murmur3x128:
            let asText = String(decoding: digest, as: UTF8.self)
            return [Data(asText.utf8).base64EncodedString(), hex(digest), Data(digest).base64EncodedString()]
        }
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    private static func stream<H: HashFunction>(_ handle: FileHandle, into hasher: H) throws -> [UInt8] {
        var hasher = hasher
        while let data = try handle.read(upToCount: readSize), !data.isEmpty { hasher.update(data: data) }
        return Array(hasher.finalize())
    }
}

/// CRC-32 as zlib and Java's `java.util.zip.CRC32` compute it (reflected polynomial 0xEDB88320).
struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    private var state: UInt32 = 0xFFFF_FFFF

    mutating func update(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { state = Self.table[Int((state ^ UInt32(byte)) & 0xFF)] ^ (state >> 8) }
    }

    var value: UInt32 { state ^ 0xFFFF_FFFF }
}
