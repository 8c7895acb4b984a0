import Foundation

/// Memory of a process as the kernel accounts it.
enum ProcessMemory {
    /// `VmRSS` of /proc/<pid>/status in KiB, or 0 when the process is gone.
    static func residentKiB(pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
