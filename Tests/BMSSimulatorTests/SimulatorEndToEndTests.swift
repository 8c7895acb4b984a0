import BMSSimulator
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import SharedWire
import XCTest

/// The simulator as a program runs it: on real PTYs, a Control Panel conversation on the G1
/// port, an slcan session on the CAN port, and the journal of what reached the BMS.
final class SimulatorEndToEndTests: XCTestCase {
    private var folder = ""
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bms-sim-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: folder)
        try await group.shutdownGracefully()
    }

    /// Runs `body` against a simulator started with `configuration`; returns what `ready` said.
    private func withSimulator(
        _ configuration: SimulatorConfiguration, _ body: (SimulatorServer.Listening) async throws -> Void
    ) async throws {
        let listening = AsyncStream<SimulatorServer.Listening>.makeStream()
        let server = SimulatorServer(configuration: configuration, logger: Logger(label: "sim")) { listening.continuation.yield($0) }
        let services = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "sim")))
        let task = Task { try await services.run() }
        var iterator = listening.stream.makeAsyncIterator()
        guard let place = await iterator.next() else { return XCTFail("the simulator never became ready") }
        do {
            try await body(place)
        } catch {
            await services.triggerGracefulShutdown()
            _ = try? await task.value
            throw error
        }
        await services.triggerGracefulShutdown()
        try await task.value
    }

    func testControlPanelAndCANOnRealPTYs() async throws {
        let journal = folder + "/journal.jsonl"
        let configuration = SimulatorConfiguration(
            endpoint: .pty(link: folder + "/bms.pty"), password: "1234", broadcastPeriods: ["CV1": 0.2],
            can: .init(link: folder + "/can.pty", period: 0.2), journalPath: journal)
        try await withSimulator(configuration) { listening in
            XCTAssertTrue(listening.g1.hasPrefix(folder + "/bms.pty -> /dev/pts/"), listening.g1)
            XCTAssertNotNil(listening.can)

            let panel = try await TestPort.open(folder + "/bms.pty", group: group)
            _ = try await panel.waitForLine(startingWith: "CV1,")  // the broadcast
            try await panel.write("\r\n" + G1Sentence.request("VR1").line)
            let version = try await panel.waitForLine(startingWith: "VR1,")
            XCTAssertEqual(version, "VR1,G1CU,SIM00001,2.4.1,40")
            try await panel.write(G1Sentence.request("BV2").line)
            try await panel.wait("two BV2 lines") { _ in panel.lines.filter { $0.hasPrefix("BV2,") }.count == 2 }
            for line in panel.lines { XCTAssertNoThrow(try G1Sentence(line: line), "every line has a valid CRC: \(line)") }

            try await panel.write(G1Sentence(name: "CF2", fields: ["0020", "0BB8"]).line)
            let refusal = try await panel.waitForLine(startingWith: "CF2,")
            XCTAssertEqual(refusal + "\r\n", G1Sentence(name: "CF2", fields: ["ERR", "LOGIN"]).line)
            panel.reset()
            try await panel.write(G1Sentence(name: "PW1", fields: ["1234"]).line + "CF2,0020,0BB8,00\r\n")
            let login = try await panel.waitForLine(startingWith: "PW1,")
            XCTAssertEqual(login + "\r\n", G1Sentence(name: "PW1", fields: ["1"]).line)
            try await panel.write(
                G1Sentence(name: "CF2", fields: ["0020", "0BB8"]).line + G1Sentence(name: "CF2", fields: ["0020", "?"]).line)
            try await panel.wait("write and read back") { _ in panel.lines.filter { $0.hasPrefix("CF2,0020,0BB8,") }.count == 2 }

            let can = try await TestPort.open(folder + "/can.pty", group: group)
            try await can.write("O\r")
            try await can.wait("BELL: no bit rate yet") { $0 == [0x07] }
            can.reset()
            try await can.write("S5\rO\r")
            try await can.wait("periodic frames") { bytes in Self.frames(bytes).contains { $0.id == 0x19B5_0001 } }
            XCTAssertEqual(Array(can.received.prefix(2)), [0x0D, 0x0D], "S5 and O answered OK")
            try await can.write("T19B505000\r")
            try await can.wait("OK and the requested frame") { bytes in
                Self.frames(bytes).contains { $0.id == 0x19B5_0500 && $0.data.count == 8 }
            }
            try await can.write("C\r")
            await can.close()
            await panel.close()
        }

        let entries = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        func entry(_ line: String) -> [String: Any]? { entries.first { $0["line"] as? String == line } }
        XCTAssertEqual(entry("VR1,?,D7")?["outcome"] as? String, "answered", "journal: \(entries.map { $0["line"] ?? "" })")
        XCTAssertEqual(entry("CF2,0020,0BB8,00")?["outcome"] as? String, "invalid", "bad CRC")
        XCTAssertEqual(entry("CF2,0020,0BB8,00")?["valid"] as? Bool, false)
        let writes = entries.filter { $0["line"] as? String == String(G1Sentence(name: "CF2", fields: ["0020", "0BB8"]).line.dropLast()) }
        XCTAssertEqual(writes.map { $0["outcome"] as? String }, ["refused", "applied"])
        XCTAssertEqual(writes.map { $0["applied"] as? Bool }, [false, true])
        XCTAssertEqual(writes.first?["reason"] as? String, "LOGIN")
        XCTAssertEqual(entry("S5")?["port"] as? String, "can")
        XCTAssertEqual(entry("T19B505000")?["outcome"] as? String, "answered")
        XCTAssertNotNil(entries.first?["time"] as? String)
    }

    func testSilenceFileAndAnswerDelayOverTCP() async throws {
        let silence = folder + "/silent"
        XCTAssertTrue(FileManager.default.createFile(atPath: silence, contents: nil))
        let configuration = SimulatorConfiguration(
            endpoint: .tcp(host: "127.0.0.1", port: 0), broadcastPeriods: [:], journalPath: folder + "/journal.jsonl",
            faults: FaultConfiguration(answerDelay: 0.3, silenceFile: silence))
        try await withSimulator(configuration) { listening in
            let port = Int(listening.g1.split(separator: ":").last!)!
            let collector = TCPCollector()
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
                }
                .connect(host: "127.0.0.1", port: port).get()
            try await channel.writeAndFlush(ByteBuffer(string: G1Sentence.request("CV1").line))
            try await Task.sleep(for: .milliseconds(600))
            XCTAssertEqual(collector.text, "", "silent while the file exists")

            try FileManager.default.removeItem(atPath: silence)
            let sent = ContinuousClock.now
            try await channel.writeAndFlush(ByteBuffer(string: G1Sentence.request("CV1").line))
            while !collector.text.hasSuffix("\r\n") {
                try await Task.sleep(for: .milliseconds(5))
                XCTAssertLessThan(ContinuousClock.now - sent, .seconds(5))
            }
            XCTAssertGreaterThanOrEqual(ContinuousClock.now - sent, .milliseconds(290), "the answer waited")
            XCTAssertTrue(collector.text.hasPrefix("CV1,"))
            try await channel.close()
        }
        let outcomes = try String(contentsOfFile: folder + "/journal.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["outcome"] as? String }
        XCTAssertEqual(outcomes, ["silenced", "answered"])
    }

    /// The slcan frames in `bytes`.
    static func frames(_ bytes: [UInt8]) -> [CANFrame] {
        var buffer = ByteBuffer(bytes: bytes)
        var decoder = SLCANDecoder()
        var frames: [CANFrame] = []
        while let output = try? decoder.decode(buffer: &buffer) {
            if case .message(.frame(let frame)) = output { frames.append(frame) }
        }
        return frames
    }
}

/// Collects what a TCP connection receives.
final class TCPCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let bytes = NIOLockedValueBox("")
    var text: String { bytes.withLockedValue { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLockedValue { $0 += String(buffer: buffer) }
    }
}
