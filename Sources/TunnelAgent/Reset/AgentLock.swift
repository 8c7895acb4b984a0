import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The running agent's claim on its state folder: an exclusive `flock` on `agent.lock`, holding
/// the agent's process ID, for as long as the process lives (the kernel drops it when the
/// process dies, however it dies). `tunnel-agent factory-reset` uses it to find and stop a
/// running agent before it removes the agent's files.
final class AgentLock {
    private let descriptor: Int32

    /// Why the lock could not be taken.
    enum Failure: Error, CustomStringConvertible {
        /// Another process holds it; `pid` is the one it wrote, when readable.
        case held(pid: pid_t?)
        case unusable(path: String, reason: String)

        var description: String {
            switch self {
            case .held(let pid): "another tunnel-agent (process \(pid.map(String.init) ?? "unknown")) runs on this state folder"
            case .unusable(let path, let reason): "\(path): \(reason)"
            }
        }
    }

    static func path(stateDirectory: String) -> String { stateDirectory + "/agent.lock" }

    /// Takes the lock without waiting, and writes this process's ID into it.
    convenience init(stateDirectory: String) throws {
        try self.init(path: Self.path(stateDirectory: stateDirectory))
    }

    /// Takes the lock file at `path` (the firmware launcher has one of its own).
    init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure.unusable(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw Failure.held(pid: Self.holder(path: path))
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// The process ID written by the holder; nil when absent or not a number.
    static func holder(path: String) -> pid_t? {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 32,
            let text = String(data: data, encoding: .ascii)?.trimmingCharacters(in: .whitespacesAndNewlines),
            let pid = pid_t(text), pid > 1
        else { return nil }
        return pid
    }
}
