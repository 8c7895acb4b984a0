import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a reader needs to know about the machine to judge the numbers.
struct MachineFacts: Sendable {
    /// CPUs this process may run on (what `nproc` prints).
    let usableCPUs: Int
    /// CPUs the kernel has online.
    let onlineCPUs: Int
    let cpuModel: String
    /// `MemTotal` and `MemAvailable` of /proc/meminfo.
    let memoryTotal: String
    let memoryAvailable: String
    /// Kernel name, release and machine, as `uname -srm` prints them.
    let kernel: String
    /// The 1, 5 and 15 minute load averages before the benchmark started.
    let loadBefore: String

    static func current() -> MachineFacts {
        let meminfo = keyValues(file: "/proc/meminfo")
        let cpuinfo = keyValues(file: "/proc/cpuinfo")
        return MachineFacts(
            usableCPUs: ProcessInfo.processInfo.activeProcessorCount,
            onlineCPUs: sysconf(Int32(_SC_NPROCESSORS_ONLN)),
            cpuModel: cpuinfo["model name"] ?? "unknown",
            memoryTotal: memory(meminfo["MemTotal"]),
            memoryAvailable: memory(meminfo["MemAvailable"]),
            kernel: kernelName(),
            loadBefore: loadAverage())
    }

    /// The first three fields of /proc/loadavg.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// `key: value` lines; the first occurrence of a key wins.
    private static func keyValues(file: String) -> [String: String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            if values[key] == nil {
                values[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return values
    }

    /// "16384256 kB" as "15.6 GiB".
    private static func memory(_ field: String?) -> String {
        guard let field, let kibibytes = Double(field.split(separator: " ").first ?? "") else { return "unknown" }
        return String(format: "%.1f GiB", kibibytes / 1_048_576)
    }

    private static func kernelName() -> String {
        var name = utsname()
        guard uname(&name) == 0 else { return "unknown" }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        return "\(text(name.sysname)) \(text(name.release)) \(text(name.machine))"
    }
}
