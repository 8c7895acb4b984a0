import NIOCore
import SharedWire

/// libFuzzer entry: arbitrary bytes as the start of a connection to a listener that expects a
/// PROXY protocol v2 header. A header read never consumes more than the cap, and written
/// again it reads back to itself; the bytes after it are left in place.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProxyHeader(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var buffer = ByteBuffer(bytes: UnsafeRawBufferPointer(start: start, count: count))
    let before = buffer.readableBytes
    guard let header = try? buffer.readProxyHeader() else { return 0 }
    let consumed = before - buffer.readableBytes
    guard consumed >= ProxyProtocolLimits.fixedLength, consumed <= ProxyProtocolLimits.maxHeaderLength else {
        fatalError("\(header) consumed \(consumed) bytes, outside the header's bounds")
    }
    var written = ByteBuffer()
    written.writeProxyHeader(header)
    guard let again = try? written.readProxyHeader(), again == header, written.readableBytes == 0 else {
        fatalError("\(header) does not survive a write and read")
    }
    return 0
}
