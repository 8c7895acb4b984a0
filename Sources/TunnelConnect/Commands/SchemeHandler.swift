import Foundation

/// What `tunnel-connect install-handler` writes so the Linux desktop opens `bmstunnel://`
/// links with `tunnel-connect`: a desktop entry (freedesktop.org Desktop Entry specification)
/// claiming the `x-scheme-handler/bmstunnel` MIME type.
public struct SchemeHandler: Sendable, Equatable {
    /// The desktop entry's file name.
    public static let fileName = "tunnel-connect-bmstunnel.desktop"
    /// The MIME type a desktop gives `bmstunnel://` links.
    public static let mimeType = "x-scheme-handler/bmstunnel"

    /// The absolute path of the `tunnel-connect` program the entry runs.
    public let executable: String
    /// The directory the entry goes in (`$XDG_DATA_HOME/applications`).
    public let directory: String

    public init(executable: String, directory: String) {
        self.executable = executable
        self.directory = directory
    }

    /// `$XDG_DATA_HOME/applications`, or `~/.local/share/applications` when XDG_DATA_HOME is
    /// unset, empty or not absolute (as the XDG Base Directory specification says).
    public static func applicationsDirectory(environment: [String: String]) throws -> String {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/applications" }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw HandlerError("neither XDG_DATA_HOME nor HOME is set, so there is no applications directory to write to")
        }
        return home + "/.local/share/applications"
    }

    /// The entry's path.
    public var path: String { directory + "/" + Self.fileName }

    /// The entry's text. The program's path is quoted as the specification requires when it
    /// holds a space or a reserved character; `%u` is the link.
    public var desktopEntry: String {
        """
        [Desktop Entry]
        Type=Application
        Name=tunnel-connect
        Comment=Attach a Control Panel to a remote BMS session (bmstunnel:// links)
        Exec=\(Self.execField(executable)) %u
        Terminal=true
        NoDisplay=true
        MimeType=\(Self.mimeType);

        """
    }

    /// The `xdg-mime` arguments that make the entry the default for the scheme.
    public var xdgMimeArguments: [String] { ["default", Self.fileName, Self.mimeType] }

    /// `path` as an `Exec` key's program: as is when plain, else in double quotes with `"`,
    /// `` ` ``, `$` and `\` escaped; a `%` is doubled either way.
    static func execField(_ path: String) -> String {
        let percent = path.replacingOccurrences(of: "%", with: "%%")
        let reserved = " \t\n\"'\\><~|&;$*?#()`"
        guard percent.contains(where: { reserved.contains($0) }) else { return percent }
        var quoted = ""
        for character in percent {
            if "\"`$\\".contains(character) { quoted.append("\\") }
            quoted.append(character)
        }
        return "\"" + quoted + "\""
    }

    /// Writes the entry, creating the directory.
    public func write() throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(desktopEntry.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw HandlerError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    public struct HandlerError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
