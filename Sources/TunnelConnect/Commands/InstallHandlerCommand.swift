import ArgumentParser
import Foundation

/// `tunnel-connect install-handler`: registers `tunnel-connect` as the Linux desktop's handler
/// of `bmstunnel://` links (see `SchemeHandler`).
public struct InstallHandlerCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tunnel-connect install-handler",
        abstract: "Register tunnel-connect as the desktop's handler of bmstunnel:// links (Linux).",
        discussion: """
            Writes \(SchemeHandler.fileName) into $XDG_DATA_HOME/applications (default \
            ~/.local/share/applications) with MimeType=\(SchemeHandler.mimeType) and Exec=<this \
            program> %u, then runs `xdg-mime default \(SchemeHandler.fileName) \(SchemeHandler.mimeType)` \
            when xdg-mime is installed. macOS and Windows: see docs/CONSOLE.md.
            """)

    @Flag(help: "Print what would be written and run, and change nothing.")
    var dryRun = false

    @Option(help: "The program the links run (default: this tunnel-connect's absolute path).")
    var executable: String?

    public init() {}

    public func run() throws {
        let handler = SchemeHandler(
            executable: try executable ?? Self.ownPath(),
            directory: try SchemeHandler.applicationsDirectory(environment: ProcessInfo.processInfo.environment))
        let xdgMime = Self.findInPath("xdg-mime")
        if dryRun {
            print("Would write \(handler.path):")
            print(handler.desktopEntry, terminator: "")
            if let xdgMime {
                print("Would run: \(xdgMime) \(handler.xdgMimeArguments.joined(separator: " "))")
            } else {
                print("xdg-mime is not installed: the desktop would pick the entry up by its MimeType line alone")
            }
            return
        }
        try handler.write()
        print("Wrote \(handler.path)")
        guard let xdgMime else {
            print("xdg-mime is not installed, so it was not asked to make this the default handler (the MimeType line may suffice)")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xdgMime)
        process.arguments = handler.xdgMimeArguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            print("xdg-mime \(handler.xdgMimeArguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
            throw ExitCode(1)
        }
        print("Ran xdg-mime \(handler.xdgMimeArguments.joined(separator: " ")): bmstunnel:// links now open tunnel-connect")
    }

    /// This program's absolute path (`/proc/self/exe` on Linux).
    static func ownPath() throws -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        if let path = Bundle.main.executablePath, path.hasPrefix("/") { return path }
        throw ValidationError("cannot tell this program's absolute path; give --executable /path/to/tunnel-connect")
    }

    /// `name`'s absolute path in PATH, if it is there and executable.
    static func findInPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
