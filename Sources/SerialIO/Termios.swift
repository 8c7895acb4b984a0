import SharedWire

#if canImport(Glibc)
    import Glibc
#endif

/// The termios settings of a tty, changed in Swift terms.
struct Termios {
    var raw: termios

    // Linux values glibc does not export to Swift.
    static let cmspar: tcflag_t = 0o10000000000
    static let crtscts: tcflag_t = 0o20000000000

    static let speeds: [(UInt32, speed_t)] = [
        (50, speed_t(B50)), (75, speed_t(B75)), (110, speed_t(B110)), (134, speed_t(B134)),
        (150, speed_t(B150)), (200, speed_t(B200)), (300, speed_t(B300)), (600, speed_t(B600)),
        (1200, speed_t(B1200)), (1800, speed_t(B1800)), (2400, speed_t(B2400)), (4800, speed_t(B4800)),
        (9600, speed_t(B9600)), (19200, speed_t(B19200)), (38400, speed_t(B38400)),
        (57600, speed_t(B57600)), (115200, speed_t(B115200)), (230400, speed_t(B230400)),
        (460800, speed_t(B460800)), (500000, speed_t(B500000)), (576000, speed_t(B576000)),
        (921600, speed_t(B921600)), (1_000_000, speed_t(B1000000)), (1_152_000, speed_t(B1152000)),
        (1_500_000, speed_t(B1500000)), (2_000_000, speed_t(B2000000)),
    ]

    static func read(fd: CInt, path: String) throws -> Termios {
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else { throw SerialPortError(path: path, operation: "read termios") }
        return Termios(raw: t)
    }

    func write(fd: CInt, path: String) throws {
        var t = raw
        guard tcsetattr(fd, TCSANOW, &t) == 0 else { throw SerialPortError(path: path, operation: "write termios") }
    }

    /// Raw mode: no echo, no line editing, no translation, reads return what is there.
    mutating func makeRaw() {
        cfmakeraw(&raw)
        raw.c_cflag |= tcflag_t(CLOCAL | CREAD)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
    }

    /// Sets the speed; returns false when the rate is not one termios knows.
    mutating func setBaudRate(_ rate: UInt32) -> Bool {
        guard let speed = Self.speeds.first(where: { $0.0 == rate })?.1 else { return false }
        cfsetispeed(&raw, speed)
        cfsetospeed(&raw, speed)
        return true
    }

    var baudRate: UInt32 {
        var t = raw
        let speed = cfgetospeed(&t)
        return Self.speeds.first(where: { $0.1 == speed })?.0 ?? 0
    }

    mutating func setDataBits(_ bits: UInt8) {
        raw.c_cflag &= ~tcflag_t(CSIZE)
        switch bits {
        case 5: raw.c_cflag |= tcflag_t(CS5)
        case 6: raw.c_cflag |= tcflag_t(CS6)
        case 7: raw.c_cflag |= tcflag_t(CS7)
        default: raw.c_cflag |= tcflag_t(CS8)
        }
    }

    var dataBits: UInt8 {
        switch raw.c_cflag & tcflag_t(CSIZE) {
        case tcflag_t(CS5): 5
        case tcflag_t(CS6): 6
        case tcflag_t(CS7): 7
        default: 8
        }
    }

    mutating func setParity(_ parity: SerialParameters.Parity) {
        raw.c_cflag &= ~(tcflag_t(PARENB | PARODD) | Self.cmspar)
        switch parity {
        case .none: break
        case .odd: raw.c_cflag |= tcflag_t(PARENB | PARODD)
        case .even: raw.c_cflag |= tcflag_t(PARENB)
        case .mark: raw.c_cflag |= tcflag_t(PARENB | PARODD) | Self.cmspar
        case .space: raw.c_cflag |= tcflag_t(PARENB) | Self.cmspar
        }
    }

    var parity: SerialParameters.Parity {
        let c = raw.c_cflag
        guard c & tcflag_t(PARENB) != 0 else { return .none }
        let odd = c & tcflag_t(PARODD) != 0
        if c & Self.cmspar != 0 { return odd ? .mark : .space }
        return odd ? .odd : .even
    }

    /// Sets stop bits; 1.5 is not available on Linux and reads back as 2.
    mutating func setStopBits(_ stop: SerialParameters.StopBits) {
        if stop == .one { raw.c_cflag &= ~tcflag_t(CSTOPB) } else { raw.c_cflag |= tcflag_t(CSTOPB) }
    }

    var stopBits: SerialParameters.StopBits { raw.c_cflag & tcflag_t(CSTOPB) != 0 ? .two : .one }

    mutating func setFlowControl(_ flow: SerialParameters.FlowControl) {
        raw.c_cflag &= ~Self.crtscts
        raw.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        switch flow {
        case .none: break
        case .hardware: raw.c_cflag |= Self.crtscts
        case .xonXoff: raw.c_iflag |= tcflag_t(IXON | IXOFF)
        }
    }

    var flowControl: SerialParameters.FlowControl {
        if raw.c_cflag & Self.crtscts != 0 { return .hardware }
        if raw.c_iflag & tcflag_t(IXON) != 0 { return .xonXoff }
        return .none
    }

    var parameters: SerialParameters {
        SerialParameters(
            baudRate: baudRate, dataBits: dataBits, parity: parity, stopBits: stopBits, flowControl: flowControl)
    }
}
