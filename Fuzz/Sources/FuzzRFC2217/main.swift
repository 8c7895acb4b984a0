import FuzzDriver

runFuzzer { data, count in
    guard let data else { return 0 }
    return fuzzRFC2217(UnsafeRawPointer(data), count)
}
