import SharedWire

#if canImport(Glibc)
    import Glibc
#endif

/// A real serial port (or PTY slave) opened in raw mode for one session.
///
/// `takeDescriptor()` hands a descriptor to a NIO pipe channel for the data; the port keeps
/// its own descriptor for termios and modem-line changes, and releases the port on `close()`.
// Unchecked: `fd` changes only in `close()`. Its owners (the agent's serial line and hub,
// tunnel-connect's endpoints) apply operations and close the port on one event loop, so no
// operation runs during a close.
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

    /// Releases the lock and the descriptor. Safe to call more than once.
    public func close() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        Glibc.close(fd)
        fd = -1
    }

    /// Applies a control operation and reports the value in effect afterwards. A setting the
    /// device does not take (a Linux PTY refuses parity and other data sizes) stays as it was and
    /// is answered `unsupported` with the value that is in effect.
    public func apply(_ control: SerialControl) -> SerialControlResult {
        let op = control.operation
        do {
            switch control {
            case .setBaudRate(let rate):
                return try setLine(op, requested: rate, read: { $0.baudRate }) { $0.setBaudRate(rate) }
            case .setDataBits(let bits):
                return try setLine(op, requested: UInt32(bits), read: { UInt32($0.dataBits) }) {
                    $0.setDataBits(bits)
                    return true
                }
            case .setParity(let parity):
                return try setLine(op, requested: UInt32(parity.rawValue), read: { UInt32($0.parity.rawValue) }) {
                    $0.setParity(parity)
                    return true
                }
            case .setStopBits(let stop):
                return try setLine(op, requested: UInt32(stop.rawValue), read: { UInt32($0.stopBits.rawValue) }) {
                    $0.setStopBits(stop)
                    return true
                }
            case .setFlowControl(let flow):
                return try setLine(op, requested: UInt32(flow.rawValue), read: { UInt32($0.flowControl.rawValue) }) {
                    $0.setFlowControl(flow)
                    return true
                }
            case .setDTR(let on):
                return setModemLine(TIOCM_DTR, on: on, operation: op)
            case .setRTS(let on):
                return setModemLine(TIOCM_RTS, on: on, operation: op)
            case .sendBreak(let ms):
                // Never `tcsendbreak`, which sleeps for the break in the caller's thread (an event
                // loop): a break is timed by the caller (the agent's `SerialBreak`). Here, for a
                // caller without a timer, only whether the device takes a break at all.
                let ok = breakCondition(true) && breakCondition(false)
                return SerialControlResult(operation: op, value: SerialControl.heldBreak(ms), status: ok ? .applied : .unsupported)
            case .setBreak(let on):
                let ok = breakCondition(on)
                return SerialControlResult(operation: op, value: on ? 1 : 0, status: ok ? .applied : .unsupported)
            case .purge(let target):
                let queue: CInt =
                    switch target {
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

    /// Sets or clears the BREAK condition (`TIOCSBRK`, `TIOCCBRK`); returns at once. False
    /// when the device refuses it.
    public func breakCondition(_ on: Bool) -> Bool {
        ioctl(fd, UInt(on ? TIOCSBRK : TIOCCBRK)) == 0
    }

    /// The answer to an operation that is not applied (a monitor session's): `unsupported`,
    /// with the value in effect, so a client that waits for its answer still gets one.
    public func refused(_ control: SerialControl) -> SerialControlResult {
        let current = try? Termios.read(fd: fd, path: path)
        let value: UInt32 =
            switch control {
            case .setBaudRate: current?.baudRate ?? 0
            case .setDataBits: UInt32(current?.dataBits ?? 8)
            case .setParity: UInt32(current?.parity.rawValue ?? SerialParameters.Parity.none.rawValue)
            case .setStopBits: UInt32(current?.stopBits.rawValue ?? SerialParameters.StopBits.one.rawValue)
            case .setFlowControl: UInt32(current?.flowControl.rawValue ?? SerialParameters.FlowControl.none.rawValue)
            case .queryState: UInt32(modemState())
            case .setDTR, .setRTS, .sendBreak, .setBreak, .purge: control.value
            }
        return SerialControlResult(operation: control.operation, value: value, status: control == .queryState ? .applied : .unsupported)
    }

    /// Changes one termios setting and reads back what the device kept.
    private func setLine(
        _ operation: SerialControl.Operation, requested: UInt32, read: (Termios) -> UInt32,
        change: (inout Termios) -> Bool
    ) throws -> SerialControlResult {
        var t = try Termios.read(fd: fd, path: path)
        guard change(&t) else { return SerialControlResult(operation: operation, value: read(t), status: .failed) }
        do {
            try t.write(fd: fd, path: path)
        } catch {
            // The device refuses the setting (EINVAL): nothing changed.
            let current = read(try Termios.read(fd: fd, path: path))
            return SerialControlResult(operation: operation, value: current, status: .unsupported)
        }
        let now = read(try Termios.read(fd: fd, path: path))
        return SerialControlResult(operation: operation, value: now, status: now == requested ? .applied : .unsupported)
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
