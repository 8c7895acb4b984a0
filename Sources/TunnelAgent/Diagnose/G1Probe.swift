import Foundation
import SerialIO
import SharedWire

#if canImport(Glibc)
    import Glibc
#endif

/// A short look at the BMS for a diagnostic bundle: a few reading sentences on the serial port
/// and what came back, each line with its time. Read-only by construction: the sentences are
/// fixed here, and every one is a reading request (`G1Catalogue.effect` is `.reads`; a test checks).
enum G1Probe {
    /// Version, cell voltages, battery state: what support looks at first.
    static let requests = ["VR1", "CV1", "BB1"].map { G1Sentence(name: $0, fields: ["?"]) }

    /// The transcript, or why there is none (the port is missing, or held by the running agent).
    static func run(device: String, speed: UInt32, timeoutPerRequest: Double = 1.0) -> String {
        guard !device.isEmpty else { return "no serial.device in settings.json: no probe\n" }
        let port: SerialPort
        do {
            port = try SerialPort(path: device, parameters: SerialParameters(baudRate: speed))
        } catch let error as SerialPortError where error.isBusy {
            return "\(device) is held by the running agent: no probe (stop it, or ask for the bundle through the relay)\n"
        } catch {
            return "\(device): \(error): no probe\n"
        }
        defer { port.close() }
        guard let fd = try? port.takeDescriptor() else { return "\(device): not usable: no probe\n" }
        defer { Glibc.close(fd) }
        var transcript = "probe of \(device) at \(speed) baud\n"
        for request in requests {
            let line = request.line
            transcript += "\(stamp()) > \(line.trimmingCharacters(in: .newlines))\n"
            _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
            transcript += answers(fd: fd, within: timeoutPerRequest).map { "\(stamp()) < \($0)\n" }.joined()
        }
        return transcript
    }

    /// The lines read within `seconds` (at most 4 KiB, printable ASCII only).
    private static func answers(fd: Int32, within seconds: Double) -> [String] {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 512)
        while Date() < deadline, bytes.count < 4096 {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let wait = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, wait) > 0 else { break }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        let text = String(decoding: bytes.map { (32...126).contains($0) || $0 == 10 ? $0 : 46 }, as: UTF8.self)
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".")) }.filter { !$0.isEmpty }
        return lines.isEmpty ? ["(no answer)"] : lines
    }

    private static func stamp() -> String { ISO8601DateFormatter().string(from: Date()) }
}
