import Foundation
import NIOCore

/// The bytes of a bulk transfer: byte n is n mod 251, so the receiver checks every byte
/// against its offset without keeping what was sent, and the sender writes slices of one
/// small buffer instead of holding the whole transfer in memory. (251 is prime: a lost,
/// added or repeated chunk of any power-of-two size breaks the sequence.)
struct BulkPattern: Sendable {
    static let period = 251
    /// Largest slice `slice(at:length:)` gives.
    let maxSlice: Int
    private let bytes: ByteBuffer

    init(maxSlice: Int) {
        self.maxSlice = maxSlice
        var bytes = ByteBufferAllocator().buffer(capacity: Self.period + maxSlice)
        for index in 0..<(Self.period + maxSlice) {
            bytes.writeInteger(UInt8(index % Self.period))
        }
        self.bytes = bytes
    }

    /// The `length` bytes at transfer offset `offset`, sharing this pattern's storage.
    func slice(at offset: Int, length: Int) -> ByteBuffer {
        precondition(length <= maxSlice, "a slice of the bulk pattern is at most \(maxSlice) bytes")
        return bytes.getSlice(at: offset % Self.period, length: length)!
    }

    /// Where in `received`, which starts at transfer offset `offset`, the first wrong byte
    /// is; nil when every byte is right.
    func firstMismatch(in received: ByteBuffer, at offset: Int) -> (index: Int, got: UInt8, expected: UInt8)? {
        received.withUnsafeReadableBytes { got in
            bytes.withUnsafeReadableBytes { pattern in
                var position = 0
                while position < got.count {
                    let length = min(maxSlice, got.count - position)
                    let start = (offset + position) % Self.period
                    if memcmp(got.baseAddress! + position, pattern.baseAddress! + start, length) != 0 {
                        for index in 0..<length where got[position + index] != pattern[start + index] {
                            return (position + index, got[position + index], pattern[start + index])
                        }
                    }
                    position += length
                }
                return nil
            }
        }
    }
}
