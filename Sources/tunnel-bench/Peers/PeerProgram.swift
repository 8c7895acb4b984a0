import Foundation

/// Finds a peer's program on this machine, naming the Debian package that provides it.
enum PeerProgram {
    static let searchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    /// The absolute path of `name`, or a failure naming `package`.
    static func locate(_ name: String, package: String) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + searchPath
        for directory in path {
            let candidate = (directory as NSString).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw PeerMissing(program: name, package: package)
    }
}

/// A peer's program is not installed: the benchmark leaves that peer out and says so.
struct PeerMissing: Error, CustomStringConvertible {
    let program: String
    let package: String
    var description: String { "\(program) not found (Debian package \(package); scripts/install-deps installs it)" }
}
