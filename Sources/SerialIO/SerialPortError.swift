#if canImport(Glibc)
    import Glibc
#endif

/// A serial port or PTY operation that failed, naming the device and the system's reason.
public struct SerialPortError: Error, CustomStringConvertible {
    /// The device path (or "pty" for a new pseudo-terminal).
    public let path: String
    /// What was being done, for example "open" or "set speed".
    public let operation: String
    /// The system's error number.
    public let errorNumber: CInt

    public init(path: String, operation: String, errorNumber: CInt = errno) {
        self.path = path
        self.operation = operation
        self.errorNumber = errorNumber
    }

    /// True when another process holds the port (it is locked).
    public var isBusy: Bool { errorNumber == EWOULDBLOCK || errorNumber == EBUSY }

    public var description: String {
        "\(path): \(operation) failed: \(String(cString: strerror(errorNumber)))"
    }
}
