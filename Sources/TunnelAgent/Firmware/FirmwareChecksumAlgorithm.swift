/// The checksum algorithms ThingsBoard offers for a firmware package (`fw_checksum_algorithm`).
enum FirmwareChecksumAlgorithm: String, Sendable, Codable, CaseIterable {
    case md5 = "MD5"
    case sha256 = "SHA256"
    case sha384 = "SHA384"
    case sha512 = "SHA512"
    case crc32 = "CRC32"
    case murmur3x32 = "MURMUR3_32"
    case murmur3x128 = "MURMUR3_128"
}
