import Foundation

/// Turns a configuration file's bytes into JSON, recording why when they are not.
enum ConfigDocument {
    /// Largest configuration file read. The shipped params_config.json is about 30 KiB; the
    /// cap bounds what a hostile file or shared-attribute update can make the agent hold.
    static let maxFileSize = 1 << 20

    /// The JSON in the file at `path`, or nil with a problem at `$`.
    static func read(path: String, issues: ConfigIssues) -> JSONValue? {
        guard let data = FileManager.default.contents(atPath: path) else {
            issues.problem(at: .root, found: "no readable file at \(path)", expected: "a readable JSON file")
            return nil
        }
        return parse(Array(data), issues: issues)
    }

    /// The JSON in `bytes`, or nil with a problem at `$`.
    static func parse(_ bytes: [UInt8], issues: ConfigIssues) -> JSONValue? {
        guard bytes.count <= maxFileSize else {
            issues.problem(at: .root, found: "\(bytes.count) bytes", expected: "at most \(maxFileSize) bytes")
            return nil
        }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            issues.problem(
                at: .root, found: "\(error.found) at line \(error.line), column \(error.column)",
                expected: "valid JSON there: \(error.expected)")
            return nil
        }
    }
}
