import AgentConfig
import Foundation
import ProgramSupport

/// What support needs from a gateway, in one archive (`tunnel-agent diagnose`): versions, the
/// configuration in effect with its secrets taken out, the configuration check, the queue's
/// figures, the last hour of the agent's log and a short read-only probe of the BMS.
///
/// Secrets never enter the archive: the JSON files are redacted by key (`SecretRedaction`),
/// and every other text is scrubbed of the values found, before anything is written.
struct DiagnosticBundle {
    let paths: AgentPaths
    /// Whether to probe the BMS (the serial port must be free: the agent stopped).
    let probe: Bool
    /// The running agent's own view, when the bundle is made inside it (asked for through the
    /// relay): its links' state and its open queue, which is not opened a second time.
    var running: RunningView? = nil

    struct RunningView {
        let facts: AgentFacts
        let queue: TelemetryQueue?
        let sessions: Int
    }

    /// Files of the bundle: name to content.
    func collect() async -> [(name: String, text: String)] {
        var redaction = SecretRedaction()
        var files: [(String, String)] = []
        // The JSON files first: their secrets are what the other texts are scrubbed of.
        for (name, path) in [
            ("settings.json", paths.settings), ("portal-settings.json", paths.portalSettings),
            ("params_config.json", paths.params), ("portal-params_config.json", paths.portalParams),
            ("mqtt-credentials.json", paths.credentials), ("config-probation.json", paths.probation),
            ("config-rollbacks.json", paths.rollbacks),
        ] {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            guard data.count <= 4 << 20, let redacted = redaction.redact(json: data) else {
                files.append((name + ".txt", "\(path): not JSON or larger than 4 MiB; left out\n"))
                continue
            }
            files.append((name, String(decoding: redacted, as: UTF8.self)))
        }
        files.insert(("versions.txt", Self.versions()), at: 0)
        let settingsInEffect = FileManager.default.fileExists(atPath: paths.portalSettings) ? paths.portalSettings : paths.settings
        files.append(("check-config.txt", ConfigFilesReport.check(settings: settingsInEffect, params: paths.params).text))
        if let running {
            files.append(("agent-status.txt", Self.status(running)))
            if let queue = running.queue {
                files.append(("queue.txt", await Self.queueFigures(queue)))
            } else {
                files.append(("queue.txt", "no telemetry queue (no enabled mqtt section)\n"))
            }
        } else {
            files.append(("queue.txt", await Self.queueFigures(path: paths.queue)))
        }
        files.append(("log-last-hour.txt", Self.journal()))
        if probe {
            let serial = AgentSettings.check(path: paths.settings).model?.serial
            files.append(("g1-probe.txt", G1Probe.run(device: serial?.device ?? "", speed: serial?.speed ?? 57_600)))
        }
        return files.map { ($0.0, redaction.scrub($0.1)) }
    }

    /// Writes the files into a gzipped tar archive at `output` (Debian's tar), in a folder named
    /// after the archive.
    func write(to output: String) async throws {
        let folderName = ((output as NSString).lastPathComponent as NSString).deletingPathExtension
            .replacingOccurrences(of: ".tar", with: "")
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("diagnose-\(UUID().uuidString)")
        let folder = staging.appendingPathComponent(folderName.isEmpty ? "tunnel-agent-diagnose" : folderName)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: staging) }
        for (name, text) in await collect() {
            try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        }
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = ["-czf", output, "-C", staging.path, folder.lastPathComponent]
        try tar.run()
        tar.waitUntilExit()
        guard tar.terminationStatus == 0 else { throw DiagnoseError("tar could not write \(output) (status \(tar.terminationStatus))") }
    }

    private static func versions() -> String {
        var text = "tunnel-agent \(ProductVersion.number)\n"
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        text += "kernel \(release) \(machine)\n"
        if let os = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) {
            text += os.split(separator: "\n").filter { $0.hasPrefix("PRETTY_NAME=") }.joined(separator: "\n") + "\n"
        }
        text += "collected \(ISO8601DateFormatter().string(from: Date()))\n"
        return text
    }

    private static func queueFigures(path: String) async -> String {
        guard FileManager.default.fileExists(atPath: path) else { return "no telemetry queue at \(path)\n" }
        do {
            let queue = try await TelemetryQueue.open(path: path)
            let text = await queueFigures(queue)
            try await queue.close()
            return text
        } catch {
            return "telemetry queue \(path): \(error)\n"
        }
    }

    private static func queueFigures(_ queue: TelemetryQueue) async -> String {
        let oldest: String
        do {
            oldest =
                try await queue.oldest(after: 0, limit: 1).first.map {
                    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double($0.record.timestamp) / 1000))
                } ?? "none"
        } catch {
            oldest = "unreadable: \(error)"
        }
        return """
            records waiting: \(await queue.count)
            bytes waiting: \(await queue.bytes)
            records dropped by the bounds (ever): \(await queue.dropped)
            oldest waiting: \(oldest)

            """
    }

    /// The running agent's links, as it sees them now.
    private static func status(_ running: RunningView) -> String {
        let facts = running.facts.snapshot
        let time = ISO8601DateFormatter()
        return """
            relay connected: \(facts.relayConnected)\(facts.relayConnectedSince.map { " since " + time.string(from: $0) } ?? "")
            sessions running: \(running.sessions)
            broker connected: \(facts.brokerConnected)\(facts.brokerConnectedSince.map { " since " + time.string(from: $0) } ?? "")
            serial line open: \(facts.serialOpen)
            last valid BMS sentence: \(facts.lastBMSSentence.map { time.string(from: $0) } ?? "none since start")
            BMS sentences since the line opened: \(facts.bmsSentences) valid, \(facts.bmsInvalidLines) invalid (noise, CRC errors)
            BMS firmware: \(facts.bmsFirmware ?? "unknown"), serial number \(facts.bmsSerialNumber ?? "unknown")
            configuration hash: \(facts.configurationHash)
            last refused portal configuration: \(facts.lastConfigurationRefusal ?? "none")
            device certificate: \(facts.certificateSerial ?? "unknown"), expires \(facts.certificateNotAfter.map { time.string(from: $0) } ?? "unknown")

            """
    }

    /// The agent's log of the last hour from the journal, when there is one.
    private static func journal() -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/journalctl") else { return "no journalctl on this system\n" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        process.arguments = ["--unit", "tunnel-agent", "--since", "-1h", "--no-pager", "--output", "short-iso"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return "journalctl: \(error)\n"
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data.suffix(8 << 20), as: UTF8.self)
    }
}

struct DiagnoseError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
