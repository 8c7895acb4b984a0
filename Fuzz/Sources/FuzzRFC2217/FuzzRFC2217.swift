import NIOCore
import SharedWire

/// libFuzzer entry: arbitrary bytes through the Telnet / COM-PORT-OPTION decoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRFC2217(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var decoder = TelnetDecoder()
    var buffer = ByteBuffer(bytes: UnsafeRawBufferPointer(start: start, count: count))
    while (try? decoder.decode(buffer: &buffer)) != nil {}
    return 0
}
