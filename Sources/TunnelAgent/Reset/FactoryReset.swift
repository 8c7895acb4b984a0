import AgentConfig
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Puts the gateway back as it left the factory (the manual's chapter 5): removes the device
/// credentials, the provisioned MQTT credentials, the telemetry queue and everything the portal
/// pushed, and puts the packaged settings back, so the gateway registers and provisions again
/// as a new unit would.
///
/// Safe against a cut at any moment: what to remove is first written, durably, to a marker
/// file in the state folder (`factory-reset.pending`). The marker is removed last, so a reset
/// that was cut is finished by the next `factory-reset` or by the agent's next start, which
/// checks for the marker before it reads any file. A cut leaves the old state (before the
/// marker) or a reset that will finish; never a mix the agent starts on.
public struct FactoryReset {
    let paths: AgentPaths
    /// The packaged defaults: `settings.json` and `params_config.json` put back in place of the
    /// operator's files. Without them the operator's files stay (a build from source).
    let defaults: String

    public static let packagedDefaults = "/usr/share/tunnel-agent"

    var marker: String { paths.stateDirectory + "/factory-reset.pending" }

    /// What a reset does, as written in the marker.
    struct Plan: Codable, Equatable {
        /// Files outside the state folder to remove (the device certificate and key).
        var remove: [String]
        /// Files put back from the packaged defaults: target path to source path.
        var restore: [String: String]
    }

    /// Every file the reset removed or put back, for the log and the operator.
    struct Outcome: Equatable {
        var removed: [String] = []
        var restored: [String] = []
    }

    /// Whether a reset was asked for (by `factory-reset`, a cut one, or a button's script
    /// creating the marker) and has not finished.
    var isPending: Bool { FileManager.default.fileExists(atPath: marker) }

    /// The plan for this gateway: its device credential files as its own settings.json names
    /// them (the operator's file, never the portal's: the tunnel section is local-only), and
    /// the packaged files that exist.
    func plan() -> Plan {
        let remove = credentialFiles().filter { $0.hasPrefix("/") }
        var restore: [String: String] = [:]
        for (target, name) in [(paths.settings, "settings.json"), (paths.params, "params_config.json")] {
            let source = defaults + "/" + name
            if FileManager.default.fileExists(atPath: source) { restore[target] = source }
        }
        return Plan(remove: remove, restore: restore)
    }

    /// `tunnel.cert` and `tunnel.key` of the operator's settings.json, relative ones taken from
    /// its folder. A file that fails its checks still names its credentials, and a reset is
    /// often what a broken gateway gets: then they are read from the raw JSON.
    private func credentialFiles() -> [String] {
        if let tunnel = AgentSettings.check(path: paths.settings).model?.tunnel { return [tunnel.cert, tunnel.key] }
        guard let data = FileManager.default.contents(atPath: paths.settings), data.count <= 1 << 20,
            let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let tunnel = document["tunnel"] as? [String: Any]
        else { return [] }
        let folder = paths.settingsFolder
        return ["cert", "key"].compactMap { tunnel[$0] as? String }.filter { !$0.isEmpty }.map {
            $0.hasPrefix("/") ? $0 : (folder as NSString).appendingPathComponent($0)
        }
    }

    /// Writes the marker durably: from here on the reset finishes, whatever happens.
    func request(_ plan: Plan) throws {
        try FileManager.default.createDirectory(atPath: paths.stateDirectory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try DurableFile.write(Array(try encoder.encode(plan)), to: marker)
    }

    /// Finishes the reset the marker describes. Each step can run again after a cut; the marker
    /// goes last. A marker made by hand (a button) may be empty: the plan is then made now.
    func complete(logger: Logger) throws -> Outcome {
        let plan: Plan
        if let written = readPlan() {
            plan = written
        } else {
            plan = self.plan()
            try request(plan)  // so that a cut from here on finishes the same plan
        }
        var outcome = Outcome()
        for path in plan.remove where Self.isFile(path) {
            try FileManager.default.removeItem(atPath: path)
            outcome.removed.append(path)
        }
        let kept: Set<String> = [marker, AgentLock.path(stateDirectory: paths.stateDirectory)]
        let state = (try? FileManager.default.contentsOfDirectory(atPath: paths.stateDirectory)) ?? []
        for name in state.sorted() {
            let path = paths.stateDirectory + "/" + name
            guard !kept.contains(path) else { continue }
            try FileManager.default.removeItem(atPath: path)
            outcome.removed.append(path)
        }
        for (target, source) in plan.restore.sorted(by: { $0.key < $1.key }) {
            guard let bytes = FileManager.default.contents(atPath: source) else { continue }
            // The packaged file takes the place, owner, group and mode of the operator's (root
            // and the agent's group, 0640, as deploy/README.md installs it).
            var previous = stat()
            let existed = stat(target, &previous) == 0
            try DurableFile.write(Array(bytes), to: target, mode: existed ? previous.st_mode & 0o777 : 0o640)
            if existed { _ = chown(target, previous.st_uid, previous.st_gid) }
            outcome.restored.append(target)
        }
        try FileManager.default.removeItem(atPath: marker)
        logger.notice(
            "Factory reset completed",
            metadata: ["removed": "\(outcome.removed.joined(separator: ", "))", "restored": "\(outcome.restored.joined(separator: ", "))"])
        return outcome
    }

    /// A file or a link, never a folder: a credential is one file.
    private static func isFile(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFREG || (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// The marker's plan; nil when it is empty or not a plan (a button's marker), in which
    /// case the reset plans afresh. Paths must be absolute.
    private func readPlan() -> Plan? {
        guard let data = FileManager.default.contents(atPath: marker), !data.isEmpty, data.count <= 64 * 1024,
            let plan = try? JSONDecoder().decode(Plan.self, from: data),
            plan.remove.allSatisfy({ $0.hasPrefix("/") }),
            plan.restore.allSatisfy({ $0.key.hasPrefix("/") && $0.value.hasPrefix("/") })
        else { return nil }
        return plan
    }
}
