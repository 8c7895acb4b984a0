import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// What `tunnel-agent run` does before the agent itself: the executable the package installed
/// is the launcher. It runs the agent in its own process while no update is installed; once
/// one is, it starts the slot's executable as a child (passing signals on) and, while that
/// version is on trial, puts the previous one back when the trial's deadline passes or the new
/// version ends `FirmwareBoot.maxLaunches` times before it reports UPDATED. The package's own
/// executable is never replaced, so there is always a good version to come back to.
struct FirmwareLauncher {
    /// Set for a child: the slot it runs. A child runs the agent and launches nothing.
    static let slotVariable = "TUNNEL_AGENT_SLOT"
    /// A child's exit status that asks to be started again at once: an update was installed.
    static let relaunchStatus: Int32 = 75
    /// How long a child has to end after SIGTERM before SIGKILL.
    static let stopGrace: Duration = .seconds(15)

    let slots: FirmwareSlots
    /// The arguments of `tunnel-agent` itself, passed to the child unchanged.
    let arguments: [String]
    let logger: Logger

    /// The slot this process runs when a launcher started it.
    static var runningSlot: String? {
        guard let name = ProcessInfo.processInfo.environment[slotVariable], FirmwareSlots.isSlotName(name) else { return nil }
        return name
    }

    enum Launch {
        case packaged
        case slot(FirmwareSlots.Slot, trial: FirmwareTrial?)
    }

    /// What to start now, after carrying out any rollback that is due.
    func next() -> Launch {
        while true {
            switch FirmwareBoot.decide(current: slots.currentName, trial: slots.trial, now: Date().timeIntervalSince1970) {
            case .packaged:
                return .packaged
            case .dropTrial:
                logger.warning("An update cut off before it became current was dropped")
                slots.dropTrial()
            case .rollBack(let trial, let reason):
                rollBack(trial, reason: reason)
            case .slot(let name, let trial):
                guard let slot = slots.slot(name) else {
                    logger.error("The current firmware slot is unreadable; the packaged version runs", metadata: ["slot": "\(name)"])
                    if let trial { rollBack(trial, reason: "the new version's files are unreadable") } else { unlink(slots.currentLink) }
                    continue
                }
                if let trial { try? slots.save(trial) }
                return .slot(slot, trial: trial)
            }
        }
    }

    private func rollBack(_ trial: FirmwareTrial, reason: String) {
        logger.error("Firmware update rolled back", metadata: ["fw.version": "\(trial.target.version)", "reason": "\(reason)"])
        do {
            try slots.rollBack(trial, reason: reason)
        } catch {
            logger.critical("Firmware rollback failed; the packaged version runs", metadata: ["error": "\(error)"])
            unlink(slots.currentLink)
            slots.dropTrial()
        }
    }

    /// Starts this program again in this process (same ID, same arguments), to launch what
    /// `next()` says with nothing left of the agent that ran before: its threads, its signal
    /// handling, its files. Returns only when that fails.
    static func startAgain() -> FirmwareFailure {
        // Descriptors opened without O_CLOEXEC would outlive the exec.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        return FirmwareFailure("tunnel-agent cannot start itself again: \(String(cString: strerror(errno)))")
    }

    /// How a child's run ended.
    enum End: Equatable {
        /// Start whatever `next()` says now.
        case relaunch
        /// Exit with this status (the service manager restarts as it is told to).
        case exit(Int32)
    }

    /// Runs `slot`'s executable until it ends; on trial, ends it when the deadline passes.
    func supervise(_ slot: FirmwareSlots.Slot, trial: FirmwareTrial?) async -> End {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: slot.executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging([Self.slotVariable: slot.name]) { $1 }
        let signals = SignalRelay()
        do {
            try process.run()
        } catch {
            signals.cancel()
            logger.error("The firmware slot's executable cannot be started", metadata: ["slot": "\(slot.name)", "error": "\(error)"])
            if let trial { rollBack(trial, reason: "the new version cannot be started: \(error)") }
            return trial == nil ? .exit(1) : .relaunch
        }
        signals.forward(to: process.processIdentifier)
        logger.notice(
            "Agent started from its firmware slot",
            metadata: [
                "fw.version": "\(slot.manifest.version)", "slot": "\(slot.name)", "pid": "\(process.processIdentifier)",
                "trial": "\(trial != nil)",
            ])
        var onTrial = trial
        while process.isRunning {
            if let pending = onTrial {
                if slots.trial == nil {
                    onTrial = nil
                } else if Date().timeIntervalSince1970 > pending.deadline && !signals.received {
                    await stop(process)
                    signals.cancel()
                    rollBack(pending, reason: "version \(pending.target.version) did not report UPDATED before its trial ended")
                    return .relaunch
                }
            }
            try? await Task.sleep(for: .milliseconds(onTrial == nil ? 1000 : 250))
        }
        process.waitUntilExit()
        signals.cancel()
        return end(process.terminationStatus, stopping: signals.received, trialPending: slots.trial != nil)
    }

    private func end(_ status: Int32, stopping: Bool, trialPending: Bool) -> End {
        if stopping { return .exit(status) }
        if status == Self.relaunchStatus || trialPending { return .relaunch }
        logger.warning("The agent's process ended", metadata: ["status": "\(status)"])
        return .exit(status == 0 ? 1 : status)
    }

    private func stop(_ process: Process) async {
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + Self.stopGrace
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Passes SIGTERM and SIGINT on to the child and remembers that one came, with a plain signal
/// handler (`kill` is async-signal-safe). One relay at a time: the launcher runs one child.
final class SignalRelay: Sendable {
    init() {
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for signalNumber in [SIGTERM, SIGINT] {
            sigaddset(&unblocked, signalNumber)
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signalNumber in
                relayedSignalCame = 1
                if relayChild > 0 { kill(relayChild, signalNumber) }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
    }

    func forward(to pid: pid_t) {
        relayChild = pid
        if relayedSignalCame != 0 { kill(pid, SIGTERM) }  // came while the child was being started
    }
    var received: Bool { relayedSignalCame != 0 }

    /// The child is gone: a signal now ends the launcher as it would any program.
    func cancel() {
        relayChild = 0
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
    }
}

/// What the signal handler reads and writes: a process ID and a flag, word-sized.
nonisolated(unsafe) private var relayChild: pid_t = 0
nonisolated(unsafe) private var relayedSignalCame: sig_atomic_t = 0
