import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// Loopback ports for the peers: a free one to give a program, and a wait until a program
/// listens on one. The wait reads /proc/net/tcp rather than dialling, because a probe
/// connection would travel the whole chain and reach the device end.
enum LoopbackPort {
    /// Ports this process has handed out: the kernel may give a released port to the next
    /// bind to port 0, so two asks in a row can get one number.
    private static let given = NIOLockedValueBox<Set<Int>>([])

    /// A port of 127.0.0.1 free at the time of asking (bound to port 0, then released), never
    /// one this process handed out before.
    static func free() throws -> Int {
        for _ in 0..<100 {
            let port = try kernelChoice()
            if given.withLockedValue({ $0.insert(port).inserted }) { return port }
        }
        throw PeerSetupFailure(what: "no loopback port this process has not used already", detail: "")
    }

    private static func kernelChoice() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw PeerSetupFailure(what: "socket() failed", detail: "errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else { throw PeerSetupFailure(what: "cannot bind a free loopback port", detail: "errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits until something listens on `port` of 127.0.0.1, checking that `owner` still runs.
    static func waitUntilListening(_ port: Int, owner: ChildProcess, what: String, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        let needle = String(format: ":%04X", port)
        while ContinuousClock.now < deadline {
            try owner.checkRunning(what)
            let table = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
            for line in table.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                if fields.count > 3, fields[1].hasSuffix(needle), fields[3] == "0A" { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw PeerSetupFailure(what: "\(what) did not listen on 127.0.0.1:\(port) within \(timeout)", detail: "")
    }
}
