import AgentConfig
import NIOCore
import SharedWire

/// The agent's decoders over the shipped params_config.json, made once.
private let telemetryDecoder: TelemetryDecoder? = {
    guard let url = ParamsConfig.shippedDefaultURL, let config = try? ParamsConfig.load(path: url.path) else { return nil }
    return TelemetryDecoder(config: config)
}()

/// libFuzzer entry: arbitrary bytes through the G1 line decoder, the typed readings, the
/// catalogue, the monitor filter, the capture line assembler and the agent's telemetry
/// decoders (G1 fields and the list assembler). Any crash is a bug.
///
/// A random line almost never carries a valid CRC, so each line is also taken as a sentence
/// as it stands (`NAME,field,…`, no CRC checked): that is what reaches the readings' and the
/// agent's number handling.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzG1(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    var assembler = TelemetryListAssembler()
    var decoder = G1LineDecoder()
    var buffer = ByteBuffer(bytes: bytes)
    while let output = try? decoder.decode(buffer: &buffer) {
        guard case .sentence(let sentence) = output else { continue }
        decodeEverywhere(sentence, into: &assembler)
        _ = G1Catalogue.effect(of: sentence)
        _ = sentence.line
    }
    for line in bytes.split(whereSeparator: { $0 == 0x0D || $0 == 0x0A }) {
        let parts = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard let name = parts.first else { continue }
        decodeEverywhere(G1Sentence(name: name, fields: Array(parts.dropFirst())), into: &assembler)
    }
    var filter = G1MonitorFilter()
    _ = filter.filter(ByteBuffer(bytes: bytes))
    var lines = G1LineAssembler()
    _ = lines.append(bytes)
    return 0
}

/// One sentence through the typed readings and the agent's telemetry decoders.
private func decodeEverywhere(_ sentence: G1Sentence, into assembler: inout TelemetryListAssembler) {
    _ = (try? G1Reading(sentence))?.summary
    for value in telemetryDecoder?.decode(sentence) ?? [] { _ = assembler.merge(value) }
}
