import ArgumentParser
import Foundation

/// `tunnel-agent diagnose`: writes the gateway's diagnostic bundle for support (`DiagnosticBundle`).
struct DiagnoseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Write one archive with what support needs to diagnose this gateway.",
        discussion: """
            The archive (.tar.gz) holds: versions; settings.json, params_config.json and what the \
            portal pushed, with every secret (passwords, tokens, keys, the passkey) replaced by \
            ***; the configuration check; the telemetry queue's figures; the agent's log of the \
            last hour (journalctl); and a short probe of the BMS with reading sentences only \
            (VR1, CV1, BB1), when the serial port is free. No secret is written: the values taken \
            out of the JSON files are also removed from every other file.
            """)

    @OptionGroup var files: AgentFileOptions

    @Option(help: "The archive to write (default: tunnel-agent-diagnose-<time>.tar.gz here).")
    var output: String?

    @Flag(inversion: .prefixedNo, help: "Probe the BMS with reading sentences (needs the serial port free).")
    var probe = true

    func run() async throws {
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let path = output ?? "tunnel-agent-diagnose-\(stamp).tar.gz"
        try await DiagnosticBundle(paths: files.paths, probe: probe).write(to: path)
        print("Diagnostic bundle written: \(path)")
    }
}
