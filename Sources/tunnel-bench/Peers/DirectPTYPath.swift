import NIOCore

/// The client on a PTY's slave side (opened the way the agent opens a serial port), the device
/// end on its master side: what the PTY alone costs, inside our tunnel's figures and not the
/// peers' (their device end is a TCP socket).
struct DirectPTYPath: PeerPath {
    let name = "direct PTY (slave ↔ master, context)"
    let commands = ["# in-process: the client opens the PTY's slave, the device end serves its master"]
    let device: PTYDevice
    let clientGroup: any EventLoopGroup

    func openSession(index: Int) async throws -> PeerSession {
        let (port, slave) = try await device.openSlave(on: clientGroup)
        try await device.channel.play { EchoHandler() }
        return PeerSession(client: slave, device: device.channel) {
            try? await slave.close()
            port.close()
        }
    }

    func setupToFirstByte(index: Int) async throws -> Duration {
        throw PeerSetupFailure(what: "a PTY has no session setup", detail: "")
    }

    func stop() async {
        await device.close()
    }
}
