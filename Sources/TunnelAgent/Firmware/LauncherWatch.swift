import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A launcher's child never outlives it. Under systemd the unit's cgroup ends both, but a
/// launcher killed alone (by hand, or outside systemd) would leave its child running beside the
/// next start. The child notes its parent at start and, once that parent is gone, stops itself
/// the way SIGTERM stops the agent (gracefully, the queue closed). A poll, not
/// `PR_SET_PDEATHSIG`: that fires when the parent's spawning *thread* ends, which a thread pool
/// may do at any time.
enum LauncherWatch {
    /// How often the child looks for its launcher.
    static let interval: Duration = .seconds(1)

    /// Starts watching; call once, early, in the launcher's child.
    static func start(logger: Logger) {
        let launcher = getppid()
        Task.detached {
            while getppid() == launcher {
                try? await Task.sleep(for: interval)
            }
            logger.warning("The firmware launcher that started this agent is gone; stopping", metadata: ["launcher.pid": "\(launcher)"])
            kill(getpid(), SIGTERM)
        }
    }
}
