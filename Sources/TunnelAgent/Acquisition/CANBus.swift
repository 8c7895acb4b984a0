import NIOCore
import SerialIO
import SharedWire

#if canImport(Glibc)
    import AgentConfig
    import Glibc
#endif

/// Where the BMS's CAN bus is reached, from `can.interface`: a SocketCAN interface name
/// (`can0`), or the path of an slcan adapter's serial device (`/dev/ttyACM0`), which also
/// makes the bus reachable over a PTY.
enum CANBus: Sendable, Equatable, CustomStringConvertible {
    case socketCAN(interface: String)
    case slcan(device: String, bitRate: SLCANBitRate)

    init(_ settings: AgentSettings.CAN) throws {
        if settings.interface.hasPrefix("/") {
            guard let rate = SLCANBitRate.allCases.first(where: { $0.bitsPerSecond == settings.speed }) else {
                throw CANBusError(
                    bus: settings.interface,
                    reason:
                        "can.speed \(settings.speed) is no slcan bit rate (10000, 20000, 50000, 100000, 125000, 250000, 500000, 800000, 1000000)"
                )
            }
            self = .slcan(device: settings.interface, bitRate: rate)
        } else {
            self = .socketCAN(interface: settings.interface)
        }
    }

    var description: String {
        switch self {
        case .socketCAN(let interface): "SocketCAN \(interface)"
        case .slcan(let device, let rate): "slcan \(device) at \(rate.bitsPerSecond) bit/s"
        }
    }

    /// A descriptor reading the bus, for a NIO pipe channel to own, and the bytes to write
    /// first (an slcan adapter's set-up: close, bit rate, open).
    func open() throws -> (descriptor: CInt, setup: ByteBuffer?) {
        switch self {
        case .socketCAN(let interface):
            return (try Self.openRawSocket(interface), nil)
        case .slcan(let device, let rate):
            let port = try SerialPort(path: device, parameters: SerialParameters(baudRate: 115_200))
            defer { port.close() }
            var setup = ByteBuffer()
            for message: SLCANMessage in [.close, .setBitRate(rate), .open] { setup.writeSLCANMessage(message) }
            return (try port.takeDescriptor(), setup)
        }
    }

    /// A raw CAN socket (PF_CAN, SOCK_RAW, CAN_RAW) bound to `interface`.
    private static func openRawSocket(_ interface: String) throws -> CInt {
        let protocolFamilyCAN: CInt = 29  // PF_CAN / AF_CAN
        let rawProtocol: CInt = 1  // CAN_RAW
        let index = if_nametoindex(interface)
        guard index != 0 else {
            throw CANBusError(bus: interface, reason: "no such network interface (\(String(cString: strerror(errno))))")
        }
        let fd = socket(protocolFamilyCAN, CInt(SOCK_RAW.rawValue) | CInt(SOCK_CLOEXEC.rawValue), rawProtocol)
        guard fd >= 0 else { throw CANBusError(bus: interface, reason: "no CAN socket: \(String(cString: strerror(errno)))") }
        // struct sockaddr_can: family (u16), padding, ifindex (i32), addressing union: 24 bytes.
        var address = [UInt8](repeating: 0, count: 24)
        address[0] = UInt8(protocolFamilyCAN)
        withUnsafeBytes(of: Int32(index).littleEndian) { address.replaceSubrange(4..<8, with: $0) }
        let bound = address.withUnsafeBytes { raw in
            bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw CANBusError(bus: interface, reason: "bind failed: \(reason)")
        }
        return fd
    }
}

struct CANBusError: Error, CustomStringConvertible {
    let bus: String
    let reason: String
    var description: String { "CAN bus \(bus): \(reason)" }
}
