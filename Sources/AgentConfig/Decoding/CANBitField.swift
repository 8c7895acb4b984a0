/// Reads a field of bits out of CAN frame data. Little-endian fields count bit n of byte k
/// as 8k + n and `start` is their least significant bit; big-endian fields count from the
/// most significant bit of D0 (0) through the least significant bit of D7 (63) and `start`
/// is their most significant bit. Either way a byte-aligned field at byte k starts at 8k.
enum CANBitField {
    /// The unsigned value of `bits` bits (1–64) at `start`, or nil when `data` ends first.
    static func read(_ data: [UInt8], start: Int, bits: Int, bigEndian: Bool) -> UInt64? {
        guard start >= 0, bits >= 1, bits <= 64, start + bits <= data.count * 8 else { return nil }
        var value: UInt64 = 0
        for offset in 0..<bits {
            let position = start + offset
            let byte = data[position / 8]
            if bigEndian {
                value = value << 1 | UInt64(byte >> (7 - position % 8) & 1)
            } else {
                value |= UInt64(byte >> (position % 8) & 1) << offset
            }
        }
        return value
    }
}
