import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SharedWire

/// Records one session's serial traffic to a capture file (JSON lines of `CaptureRecord`),
/// for support staff. Recording never blocks forwarding: records go through a bounded queue
/// to a writer task; past the bound they are counted and dropped.
public final class SessionCapture: Sendable {
    /// Records queued for the writer at most (about 64 MiB of maximal frames).
    public static let maxQueuedRecords = 1_000

    public let path: String
    private let assemblers = NIOLockedValueBox((toDevice: G1LineAssembler(), fromDevice: G1LineAssembler()))
    private let continuation: AsyncStream<CaptureRecord>.Continuation
    private let dropped: NIOLockedValueBox<Int>
    private let writer: Task<Void, Never>

    private init(
        path: String, continuation: AsyncStream<CaptureRecord>.Continuation, dropped: NIOLockedValueBox<Int>,
        writer: Task<Void, Never>
    ) {
        self.path = path
        self.continuation = continuation
        self.dropped = dropped
        self.writer = writer
    }

    /// Creates the file (mode 0600) and starts its writer.
    public static func start(path: String, logger: Logger) throws -> SessionCapture {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let file = FileHandle(forWritingAtPath: path)
        else { throw CaptureError(path: path, reason: "cannot create the capture file") }
        let (stream, continuation) = AsyncStream.makeStream(
            of: CaptureRecord.self, bufferingPolicy: .bufferingOldest(maxQueuedRecords))
        let dropped = NIOLockedValueBox(0)
        let writer = Task.detached {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for await record in stream {
                guard let line = try? encoder.encode(record) else { continue }
                do {
                    try file.write(contentsOf: line + Data([0x0A]))
                } catch {
                    logger.error("Capture write failed", metadata: ["path": "\(path)", "error": "\(error)"])
                    break
                }
            }
            try? file.close()
            let lost = dropped.withLockedValue { $0 }
            if lost > 0 { logger.warning("Capture dropped records", metadata: ["path": "\(path)", "records": "\(lost)"]) }
        }
        return SessionCapture(path: path, continuation: continuation, dropped: dropped, writer: writer)
    }

    /// Records bytes that went `direction` now.
    public func record(_ direction: CaptureRecord.Direction, _ bytes: ByteBuffer) {
        let view = bytes.readableBytesView
        let lines = assemblers.withLockedValue { assemblers in
            direction == .toDevice ? assemblers.toDevice.append(view) : assemblers.fromDevice.append(view)
        }
        let record = CaptureRecord(time: Date().timeIntervalSince1970, direction: direction, bytes: view, lines: lines)
        if case .dropped = continuation.yield(record) {
            dropped.withLockedValue { $0 += 1 }
        }
    }

    /// Ends the capture; the writer flushes what is queued and closes the file.
    public func finish() {
        continuation.finish()
    }

    /// Ends the capture and waits until the file is complete.
    public func close() async {
        continuation.finish()
        await writer.value
    }

    /// Reads a capture file back.
    public static func read(path: String) throws -> [CaptureRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CaptureError(path: path, reason: "cannot read the capture file")
        }
        let decoder = JSONDecoder()
        return try data.split(separator: 0x0A).enumerated().map { index, line in
            do {
                return try decoder.decode(CaptureRecord.self, from: Data(line))
            } catch {
                throw CaptureError(path: path, reason: "line \(index + 1) is not a capture record: \(error)")
            }
        }
    }
}

/// A capture file that could not be written or read.
public struct CaptureError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
