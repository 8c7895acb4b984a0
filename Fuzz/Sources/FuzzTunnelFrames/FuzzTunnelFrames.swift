import NIOCore
import SharedWire

/// libFuzzer entry: arbitrary bytes through the tunnel frame and message decoder; every
/// message decoded is encoded again and must decode to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTunnelFrames(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var decoder = TunnelMessageDecoder()
    var buffer = ByteBuffer(bytes: UnsafeRawBufferPointer(start: start, count: count))
    while let message = try? decoder.decode(buffer: &buffer) {
        var encoded = ByteBuffer()
        message.write(to: &encoded)
        var again = TunnelMessageDecoder()
        guard let decoded = try? again.decode(buffer: &encoded), decoded == message else {
            fatalError("\(message) does not survive an encode and decode")
        }
    }
    return 0
}
