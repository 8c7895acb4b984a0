/// Collects a byte stream's bytes into complete lines (CR or LF ends a line; empty lines
/// are skipped), holding at most `G1LineDecoder.maxLineLength` bytes of an unfinished one.
public struct G1LineAssembler: Sendable {
    private var partial: [UInt8] = []

    public init() {}

    /// The lines `bytes` completed.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == 0x0D || byte == 0x0A {
                if !partial.isEmpty { lines.append(String(decoding: partial, as: UTF8.self)) }
                partial.removeAll(keepingCapacity: true)
            } else if partial.count < G1LineDecoder.maxLineLength {
                partial.append(byte)
            }
        }
        return lines
    }
}
