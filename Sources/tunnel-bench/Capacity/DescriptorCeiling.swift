import Foundation

/// How many idle agents the open-file limits let one relay process and this load generator
/// hold: each agent is one descriptor on each side. Read from the processes themselves
/// (`/proc/<pid>/limits`, `/proc/<pid>/fd`), so the report names the limit that stopped a
/// run rather than an error from deep inside an accept.
struct DescriptorCeiling: Sendable {
    /// The soft limits in effect, and the descriptors open before any idle agent.
    let relayLimit: Int
    let relayOpen: Int
    let generatorLimit: Int
    let generatorOpen: Int

    /// Descriptors kept free on each side for everything else (listeners, the store, the
    /// probe's sessions, the generator's event loops).
    static let spare = 256

    static func measure(relay: Int32) -> DescriptorCeiling {
        DescriptorCeiling(
            relayLimit: openFileLimit(pid: relay), relayOpen: openDescriptors(pid: relay),
            generatorLimit: openFileLimit(pid: getpid()), generatorOpen: openDescriptors(pid: getpid()))
    }

    /// The most idle agents both sides can hold.
    var agents: Int {
        max(0, min(relayLimit - relayOpen, generatorLimit - generatorOpen) - Self.spare)
    }

    /// Why `wanted` agents cannot be reached, for the report.
    func reason(wanted: Int) -> String {
        let side = relayLimit - relayOpen <= generatorLimit - generatorOpen ? "the relay process" : "the load generator"
        let limit = min(relayLimit, generatorLimit)
        return "\(wanted) agents need \(wanted) descriptors in each process, and \(side) may open at most \(limit) "
            + "(RLIMIT_NOFILE; this process could not raise its hard limit, which takes CAP_SYS_RESOURCE). "
            + "The last step holds \(agents), the most both sides can, with \(Self.spare) descriptors spare on each."
    }

    /// The soft "Max open files" of a process.
    static func openFileLimit(pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("Max open files") {
            let fields = line.dropFirst("Max open files".count).split(separator: " ")
            return fields.first.flatMap { Int($0) } ?? Int.max
        }
        return 0
    }

    static func openDescriptors(pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? 0
    }
}
