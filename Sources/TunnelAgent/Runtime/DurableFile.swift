#if canImport(Glibc)
    import Glibc
#endif

/// Replaces a file so that a crash or power cut leaves either the old or the new content:
/// written to a temporary file beside it, flushed to disk, renamed over it, folder flushed.
enum DurableFile {
    struct WriteError: Error, CustomStringConvertible {
        let path: String
        let operation: String
        let errorNumber: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(errorNumber)))" }
    }

    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WriteError(path: temporary, operation: "create", errorNumber: errno) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let error = WriteError(path: temporary, operation: "write", errorNumber: errno)
                close(fd)
                throw error
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let error = WriteError(path: temporary, operation: "fsync", errorNumber: errno)
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw WriteError(path: path, operation: "rename", errorNumber: errno) }
        syncFolder(of: path)
    }

    /// Flushes the folder that holds `path`, so a rename or a new link in it survives a power cut.
    static func syncFolder(of path: String) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let folderFD = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 {
            fsync(folderFD)
            close(folderFD)
        }
    }
}
