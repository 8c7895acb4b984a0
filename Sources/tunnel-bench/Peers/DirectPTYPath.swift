import NIOCore

/// The client on a PTY's slave side (opened the way the agent opens a serial port), the device
/// end on its master side: what the PTY alone costs, inside our tunnel's figures and not the
/// peers' (their device end is a TCP socket). Many sessions at once get a PTY each, as our
/// tunnel's agents do, so that their aggregate shows what many PTYs alone can move here.
struct DirectPTYPath: PeerPath {
    let name = "direct PTY (slave ↔ master, context)"
    let commands = ["# in-process: the client opens the PTY's slave, the device end serves its master"]
    let device: PTYDevice
    let deviceGroup: any EventLoopGroup
    let clientGroup: any EventLoopGroup

    func openSession(index: Int) async throws -> PeerSession {
        // Session 0 is the path's own PTY; each further one, open at the same time, a new one.
        let owned: PTYDevice? = index == 0 ? nil : try await PTYDevice.open(on: deviceGroup)
        let device = owned ?? self.device
        do {
            let (port, slave) = try await device.openSlave(on: clientGroup)
            try await device.channel.play { EchoHandler() }
            return PeerSession(client: slave, device: device.channel) {
                try? await slave.close()
                port.close()
                await owned?.close()
            }
        } catch {
            await owned?.close()
            throw error
        }
    }

    func setupToFirstByte(index: Int) async throws -> Duration {
        throw PeerSetupFailure(what: "a PTY has no session setup", detail: "")
    }

    func stop() async {
        await device.close()
    }
}
