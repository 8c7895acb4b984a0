import SharedWire

#if canImport(Glibc)
    import Glibc
#endif

/// A new pseudo-terminal: a virtual serial port whose slave path other programs open.
///
/// The PTY keeps one slave descriptor open itself, so the master side never sees a hangup
/// while the application that uses the port closes and reopens it.
// Unchecked: the descriptors and `linkPath` change only in `link(at:)` and `close()`, which the
// owner calls before the PTY is served and after its last use.
public final class PseudoTerminal: @unchecked Sendable {
    /// The slave device path, for example `/dev/pts/3`.
    public let slavePath: String
    /// A symlink made to the slave path, removed on `close()`.
    public private(set) var linkPath: String?
    private var masterFD: CInt
    private var keeperFD: CInt

    /// Opens a PTY pair with the slave in raw mode.
    public init() throws {
        // posix_openpt/grantpt/unlockpt need feature macros Swift's Glibc import lacks; on
        // Linux they come down to opening /dev/ptmx and two ioctls.
        let master = Glibc.open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw SerialPortError(path: "/dev/ptmx", operation: "open") }
        var unlock: CInt = 0
        var number: CInt = 0
        guard ioctl(master, Self.tiocsptlck, &unlock) == 0, ioctl(master, Self.tiocgptn, &number) == 0 else {
            let error = SerialPortError(path: "/dev/ptmx", operation: "unlock")
            Glibc.close(master)
            throw error
        }
        let path = "/dev/pts/\(number)"
        let keeper = Glibc.open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard keeper >= 0 else {
            let error = SerialPortError(path: path, operation: "open")
            Glibc.close(master)
            throw error
        }
        self.masterFD = master
        self.keeperFD = keeper
        self.slavePath = path
        do {
            var t = try Termios.read(fd: keeper, path: path)
            t.makeRaw()
            _ = t.setBaudRate(57_600)
            try t.write(fd: keeper, path: path)
        } catch {
            close()
            throw error
        }
    }

    /// `_IOW('T', 0x31, int)` and `_IOR('T', 0x30, unsigned int)` of asm-generic (x86-64, arm64).
    private static let tiocsptlck: UInt = 0x4004_5431
    private static let tiocgptn: UInt = 0x8004_5430

    deinit { close() }

    /// Makes `link` a symlink to the slave path (replacing an old symlink there).
    public func link(at link: String) throws {
        var info = stat()
        if lstat(link, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFLNK else {
                throw SerialPortError(path: link, operation: "replace (not a symlink)", errorNumber: EEXIST)
            }
            unlink(link)
        }
        guard symlink(slavePath, link) == 0 else { throw SerialPortError(path: link, operation: "symlink") }
        linkPath = link
    }

    /// A new descriptor for the master side, for a NIO pipe channel to own.
    public func takeMasterDescriptor() throws -> CInt {
        let copy = dup(masterFD)
        guard copy >= 0 else { throw SerialPortError(path: slavePath, operation: "dup master") }
        return copy
    }

    /// The slave's current line settings, as an application on the port set them.
    public func slaveParameters() throws -> SerialParameters {
        try Termios.read(fd: keeperFD, path: slavePath).parameters
    }

    /// Closes the PTY and removes the symlink. Safe to call more than once.
    public func close() {
        if let linkPath { unlink(linkPath) }
        linkPath = nil
        if keeperFD >= 0 { Glibc.close(keeperFD) }
        if masterFD >= 0 { Glibc.close(masterFD) }
        keeperFD = -1
        masterFD = -1
    }
}
