/// MurmurHash3 with seed 0, as Guava's `murmur3_32` and `murmur3_128` (the x64 variant) give
/// their bytes: the 32-bit hash little-endian; the 128-bit one as h1 then h2, each little-endian.
enum Murmur3 {
    static func hash32(_ data: [UInt8]) -> [UInt8] {
        let c1: UInt32 = 0xcc9e_2d51
        let c2: UInt32 = 0x1b87_3593
        var h: UInt32 = 0
        let blocks = data.count / 4
        for block in 0..<blocks {
            var k = word32(data, at: block * 4)
            k = (k &* c1).rotatedLeft(15) &* c2
            h = (h ^ k).rotatedLeft(13) &* 5 &+ 0xe654_6b64
        }
        var k: UInt32 = 0
        let tail = blocks * 4
        for index in stride(from: data.count - 1, through: tail, by: -1) { k = k << 8 | UInt32(data[index]) }
        if data.count > tail { h ^= (k &* c1).rotatedLeft(15) &* c2 }
        h ^= UInt32(truncatingIfNeeded: data.count)
        h = fmix(h)
        return withUnsafeBytes(of: h.littleEndian, Array.init)
    }

    static func hash128(_ data: [UInt8]) -> [UInt8] {
        let c1: UInt64 = 0x87c3_7b91_1142_53d5
        let c2: UInt64 = 0x4cf5_ad43_2745_937f
        var h1: UInt64 = 0
        var h2: UInt64 = 0
        let blocks = data.count / 16
        for block in 0..<blocks {
            let k1 = word64(data, at: block * 16)
            let k2 = word64(data, at: block * 16 + 8)
            h1 ^= (k1 &* c1).rotatedLeft(31) &* c2
            h1 = (h1.rotatedLeft(27) &+ h2) &* 5 &+ 0x52dc_e729
            h2 ^= (k2 &* c2).rotatedLeft(33) &* c1
            h2 = (h2.rotatedLeft(31) &+ h1) &* 5 &+ 0x3849_5ab5
        }
        let tail = blocks * 16
        var k1: UInt64 = 0
        var k2: UInt64 = 0
        for index in stride(from: data.count - 1, through: tail, by: -1) {
            if index - tail >= 8 { k2 = k2 << 8 | UInt64(data[index]) } else { k1 = k1 << 8 | UInt64(data[index]) }
        }
        if data.count - tail > 8 { h2 ^= (k2 &* c2).rotatedLeft(33) &* c1 }
        if data.count > tail { h1 ^= (k1 &* c1).rotatedLeft(31) &* c2 }
        h1 ^= UInt64(data.count)
        h2 ^= UInt64(data.count)
        h1 = h1 &+ h2
        h2 = h2 &+ h1
        h1 = fmix(h1)
        h2 = fmix(h2)
        h1 = h1 &+ h2
        h2 = h2 &+ h1
        return withUnsafeBytes(of: h1.littleEndian, Array.init) + withUnsafeBytes(of: h2.littleEndian, Array.init)
    }

    private static func word32(_ data: [UInt8], at index: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[index + $1]) << (8 * $1) }
    }

    private static func word64(_ data: [UInt8], at index: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[index + $1]) << (8 * $1) }
    }

    private static func fmix(_ value: UInt32) -> UInt32 {
        var h = value
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        return h ^ (h >> 16)
    }

    private static func fmix(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        return k ^ (k >> 33)
    }
}

extension FixedWidthInteger where Self: UnsignedInteger {
    func rotatedLeft(_ count: Int) -> Self { self << count | self >> (Self.bitWidth - count) }
}
