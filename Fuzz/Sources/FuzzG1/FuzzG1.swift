import NIOCore
import SharedWire

/// libFuzzer entry: arbitrary bytes through the G1 line decoder, the typed readings, the
/// catalogue, the monitor filter and the capture line assembler. Any crash is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzG1(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    var decoder = G1LineDecoder()
    var buffer = ByteBuffer(bytes: bytes)
    while let output = try? decoder.decode(buffer: &buffer) {
        guard case .sentence(let sentence) = output else { continue }
        _ = (try? G1Reading(sentence))?.summary
        _ = G1Catalogue.effect(of: sentence)
        _ = sentence.line
    }
    var filter = G1MonitorFilter()
    _ = filter.filter(ByteBuffer(bytes: bytes))
    var assembler = G1LineAssembler()
    _ = assembler.append(bytes)
    return 0
}
