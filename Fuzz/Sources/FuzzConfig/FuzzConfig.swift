import AgentConfig

/// libFuzzer entry: arbitrary bytes as settings.json and as params_config.json. The checks
/// must report problems, never crash or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    _ = AgentSettings.check(json: bytes)
    _ = ParamsConfig.check(json: bytes)
    return 0
}
