#if canImport(Glibc)
import Glibc
#endif
import SharedWire

/// A real serial port (or PTY slave) opened in raw mode for one session.
///
/// `takeDescriptor()` hands a descriptor to a NIO pipe channel for the data; the port keeps
/// its own descriptor for termios and modem-line changes, and releases the port on `close()`.
public final class SerialPort: @unchecked Sendable {
    /// The device path, for example `/dev/ttyUSB0`.
    public let path: String
    private var fd: CInt

    /// Opens `path`, takes an exclusive advisory lock (so two sessions or programs never share
    /// the port), sets raw mode and `parameters`.
    public init(path: String, parameters: SerialParameters) throws {
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SerialPortError(path: path, operation: "open") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let error = SerialPortError(path: path, operation: "lock (another program holds the port)")
            Glibc.close(fd)
            throw error
        }
        self.path = path
        self.fd = fd
        do {
            var t = try Termios.read(fd: fd, path: path)
            t.makeRaw()
            if parameters.baudRate != 0, !t.setBaudRate(parameters.baudRate) {
                throw SerialPortError(path: path, operation: "set speed \(parameters.baudRate)", errorNumber: EINVAL)
            }
            t.setDataBits(parameters.dataBits)
            t.setParity(parameters.parity)
            t.setStopBits(parameters.stopBits)
            t.setFlowControl(parameters.flowControl)
            try t.write(fd: fd, path: path)
            tcflush(fd, TCIOFLUSH)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { close() }

    /// A new descriptor for the same port, for a NIO pipe channel to own.
    public func takeDescriptor() throws -> CInt {
        let copy = dup(fd)
        guard copy >= 0 else { throw SerialPortError(path: path, operation: "dup") }
        return copy
    }

    /// The settings in effect now.
    public func parameters() throws -> SerialParameters {
        try Termios.read(fd: fd, path: path).parameters
    }

    /// Releases the lock and the descriptor. Safe to call more than once.
    public func close() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        Glibc.close(fd)
        fd = -1
    }

    /// Applies a control operation and reports the value in effect afterwards.
    public func apply(_ control: SerialControl) -> SerialControlResult {
        let op = control.operation
        do {
            var t = try Termios.read(fd: fd, path: path)
            switch control {
            case .setBaudRate(let rate):
                guard t.setBaudRate(rate) else {
                    return SerialControlResult(operation: op, value: t.baudRate, status: .failed)
                }
                try t.write(fd: fd, path: path)
                return SerialControlResult(operation: op, value: try Termios.read(fd: fd, path: path).baudRate, status: .applied)
            case .setDataBits(let bits):
                t.setDataBits(bits)
                try t.write(fd: fd, path: path)
                return SerialControlResult(operation: op, value: UInt32(try Termios.read(fd: fd, path: path).dataBits), status: .applied)
            case .setParity(let parity):
                t.setParity(parity)
                try t.write(fd: fd, path: path)
                return SerialControlResult(operation: op, value: UInt32(try Termios.read(fd: fd, path: path).parity.rawValue), status: .applied)
            case .setStopBits(let stop):
                t.setStopBits(stop)
                try t.write(fd: fd, path: path)
                let now = try Termios.read(fd: fd, path: path).stopBits
                return SerialControlResult(operation: op, value: UInt32(now.rawValue), status: now == stop ? .applied : .unsupported)
            case .setFlowControl(let flow):
                t.setFlowControl(flow)
                try t.write(fd: fd, path: path)
                return SerialControlResult(operation: op, value: UInt32(try Termios.read(fd: fd, path: path).flowControl.rawValue), status: .applied)
            case .setDTR(let on):
                return setModemLine(TIOCM_DTR, on: on, operation: op)
            case .setRTS(let on):
                return setModemLine(TIOCM_RTS, on: on, operation: op)
            case .sendBreak(let ms):
                let ok = tcsendbreak(fd, CInt(max(1, ms / 250))) == 0
                return SerialControlResult(operation: op, value: ms, status: ok ? .applied : .unsupported)
            case .setBreak(let on):
                let ok = ioctl(fd, UInt(on ? TIOCSBRK : TIOCCBRK)) == 0
                return SerialControlResult(operation: op, value: on ? 1 : 0, status: ok ? .applied : .unsupported)
            case .purge(let target):
                let queue: CInt = switch target {
                case .receive: TCIFLUSH
                case .transmit: TCOFLUSH
                case .both: TCIOFLUSH
                }
                let ok = tcflush(fd, queue) == 0
                return SerialControlResult(operation: op, value: target.rawValue, status: ok ? .applied : .failed)
            case .queryState:
                return SerialControlResult(operation: op, value: UInt32(modemState()), status: .applied)
            }
        } catch {
            return SerialControlResult(operation: op, value: 0, status: .failed)
        }
    }

    /// Modem lines as RFC 2217 numbers them (CTS 0x10, DSR 0x20, RI 0x40, DCD 0x80); 0 on a PTY.
    public func modemState() -> UInt8 {
        var bits: CInt = 0
        guard ioctl(fd, UInt(TIOCMGET), &bits) == 0 else { return 0 }
        var state: UInt8 = 0
        if bits & TIOCM_CTS != 0 { state |= 0x10 }
        if bits & TIOCM_DSR != 0 { state |= 0x20 }
        if bits & TIOCM_RI != 0 { state |= 0x40 }
        if bits & TIOCM_CD != 0 { state |= 0x80 }
        return state
    }

    private func setModemLine(_ line: CInt, on: Bool, operation: SerialControl.Operation) -> SerialControlResult {
        var bits = line
        let ok = ioctl(fd, UInt(on ? TIOCMBIS : TIOCMBIC), &bits) == 0
        return SerialControlResult(operation: operation, value: on ? 1 : 0, status: ok ? .applied : .unsupported)
    }
}
