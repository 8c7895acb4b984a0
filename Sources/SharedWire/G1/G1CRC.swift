/// CRC-8 Dallas/Maxim (1-Wire) as the EMUS G1 protocol uses it: reflected polynomial 0x8C,
/// initial value 0, no final XOR.
public enum G1CRC {
    private static let table: [UInt8] = (0...255).map { index in
        var crc = UInt8(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0x8C : crc >> 1
        }
        return crc
    }

    /// The CRC of `bytes`, which run from the first letter of the name to the last comma.
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt8 where Bytes.Element == UInt8 {
        table.withUnsafeBufferPointer { table in
            var crc: UInt8 = 0
            for byte in bytes {
                crc = table[Int(crc ^ byte)]
            }
            return crc
        }
    }
}
