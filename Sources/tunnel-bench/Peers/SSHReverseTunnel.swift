import Foundation
import NIOCore

/// An OpenSSH reverse tunnel on loopback, the way a gateway would reach out with `ssh -R`: an
/// sshd of our own (free port, own host key, one authorized key, run as the current user) plays
/// the relay, and `ssh -R` plays the agent, forwarding the sshd's port to the device. The
/// client dials the forwarded port on the sshd side. Ciphers and MACs are OpenSSH's defaults.
enum SSHReverseTunnel {
    static func start(in directory: String, device: DeviceServer, clientGroup: any EventLoopGroup) async throws -> TCPChainPath {
        let sshd = try PeerProgram.locate("sshd", package: "openssh-server")
        let ssh = try PeerProgram.locate("ssh", package: "openssh-client")
        let keygen = try PeerProgram.locate("ssh-keygen", package: "openssh-client")
        for key in ["host_key", "user_key"] {
            try run(keygen, ["-q", "-t", "ed25519", "-N", "", "-f", "\(directory)/\(key)"])
        }
        try FileManager.default.copyItem(atPath: "\(directory)/user_key.pub", toPath: "\(directory)/authorized_keys")
        let sshdPort = try LoopbackPort.free()
        let forwardedPort = try LoopbackPort.free()
        let config = """
            Port \(sshdPort)
            ListenAddress 127.0.0.1
            HostKey \(directory)/host_key
            AuthorizedKeysFile \(directory)/authorized_keys
            PidFile none
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            StrictModes no
            UsePAM no
            AllowTcpForwarding yes

            """
        try config.write(toFile: "\(directory)/sshd_config", atomically: true, encoding: .utf8)
        if getuid() == 0 {
            // sshd's privilege separation directory, which a Debian package install creates.
            try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        }
        let server = try ChildProcess.start(sshd, ["-D", "-e", "-f", "\(directory)/sshd_config"], logPath: "\(directory)/sshd.log")
        var processes = [server]
        do {
            try await LoopbackPort.waitUntilListening(sshdPort, owner: server, what: "sshd")
            let user = String(cString: getpwuid(getuid()).pointee.pw_name)
            let client = try ChildProcess.start(
                ssh,
                [
                    "-N", "-T", "-i", "\(directory)/user_key", "-p", "\(sshdPort)",
                    "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                    "-R", "127.0.0.1:\(forwardedPort):127.0.0.1:\(device.port)", "\(user)@127.0.0.1",
                ], logPath: "\(directory)/ssh.log")
            processes.append(client)
            try await LoopbackPort.waitUntilListening(forwardedPort, owner: client, what: "ssh -R")
        } catch {
            for process in processes.reversed() { await process.stop() }
            throw error
        }
        return TCPChainPath(
            name: "ssh -R reverse tunnel (OpenSSH)", commands: processes.map(\.commandLine), entryPort: forwardedPort,
            device: device, processes: processes, clientGroup: clientGroup)
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PeerSetupFailure(what: "\(executable) \(arguments.joined(separator: " ")) failed", detail: "")
        }
    }
}
