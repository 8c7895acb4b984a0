import Logging
import NIOCore
import NIOEmbedded
import SharedWire
import TunnelTransport
import XCTest

@testable import TunnelConnect

/// tunnel-connect's RFC 2217 plumbing on embedded channels: a client connection and the
/// tunnel joined by the serial bridge, as `RFC2217Endpoint` builds them.
final class RFC2217HandlerTests: XCTestCase {
    private let iac = Telnet.iac, sb = Telnet.sb, se = Telnet.se

    private final class Rig {
        let loop = EmbeddedEventLoop()
        let bridge: SerialBridge
        let link: SerialControlLink
        let tunnel: EmbeddedChannel
        var learnt = ComPortSettings()

        init() throws {
            var route: ((SerialControlResult) -> Void)?
            bridge = SerialBridge(
                eventLoop: loop,
                callbacks: .init(
                    onMessage: { message in
                        if case .serialControlResult(let result) = message { route?(result) }
                    },
                    onEnd: { _ in }))
            let link = SerialControlLink(bridge: bridge, logger: Logger(label: "test"))
            route = { link.tunnelAnswered($0) }
            self.link = link
            tunnel = EmbeddedChannel(handler: bridge.makeTunnelHandler(), loop: loop)
            try tunnel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        /// A client connection, as the endpoint accepts one.
        func connectClient() throws -> EmbeddedChannel {
            let client = EmbeddedChannel(loop: loop)
            let handler = ComPortServerHandler(settings: learnt, link: link, logger: Logger(label: "test")) { [unowned self] in
                self.learnt = $0
            }
            try client.pipeline.syncOperations.addHandler(ByteToMessageHandler(TelnetDecoder()))
            try client.pipeline.syncOperations.addHandler(handler)
            try client.pipeline.syncOperations.addHandler(bridge.makeLocalHandler())
            try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
            return client
        }

        /// The client agrees COM-PORT-OPTION (`IAC WILL COM-PORT-OPTION`), as real clients do
        /// before their commands; the first modem-state poll that starts goes to the tunnel.
        func agree(_ client: EmbeddedChannel) throws {
            try client.writeInbound(ByteBuffer(bytes: [Telnet.iac, TelnetVerb.will.rawValue, 44]))
            XCTAssertEqual(try toTunnel(), [.serialControl(.queryState)])
        }

        /// `agree`, with the poll's result (a PTY: no modem lines) and its NOTIFY-MODEMSTATE.
        func agreeAndAnswerThePoll(_ client: EmbeddedChannel) throws {
            try agree(client)
            try tunnel.writeInbound(TunnelMessage.serialControlResult(.init(operation: .queryState, value: 0, status: .applied)))
            while try client.readOutbound(as: ByteBuffer.self) != nil {}
        }

        func toTunnel() throws -> [TunnelMessage] {
            var messages: [TunnelMessage] = []
            while let message = try tunnel.readOutbound(as: TunnelMessage.self) { messages.append(message) }
            return messages
        }
    }

    private func received(_ client: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try client.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return bytes
    }

    private func answer(_ answer: ComPortAnswer) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeComPortAnswer(answer)
        return Array(buffer.readableBytesView)
    }

    func testDataAndOperationsReachTheTunnelInTheOrderSent() throws {
        let rig = try Rig()
        let client = try rig.connectClient()
        XCTAssertEqual(try received(client).count, 18, "six offers: WILL and DO for BINARY, SGA, COM-PORT-OPTION")
        try rig.agreeAndAnswerThePoll(client)

        try client.writeInbound(
            ByteBuffer(bytes: Array("AB".utf8) + [iac, iac] + [iac, sb, 44, 1, 0, 0, 0x25, 0x80, iac, se] + Array("CD".utf8)))
        XCTAssertEqual(
            try rig.toTunnel(),
            [
                .serialData(ByteBuffer(bytes: [0x41, 0x42, 0xFF])),
                .serialControl(.setBaudRate(9_600)),
                .serialData(ByteBuffer(string: "CD")),
            ])
        XCTAssertEqual(try received(client), [], "the answer waits for the port")
        try rig.tunnel.writeInbound(TunnelMessage.serialControlResult(.init(operation: .setBaudRate, value: 9_600, status: .applied)))
        XCTAssertEqual(try received(client), answer(.baudRate(9_600)))

        try rig.tunnel.writeInbound(TunnelMessage.serialData(ByteBuffer(bytes: [0x41, 0xFF, 0x42])))
        XCTAssertEqual(try received(client), [0x41, 0xFF, 0xFF, 0x42], "0xFF doubled towards the client")
    }

    func testSuspendHoldsTheClientsDataUntilResume() throws {
        let rig = try Rig()
        let client = try rig.connectClient()
        _ = try received(client)
        try client.writeInbound(ByteBuffer(bytes: [iac, sb, 44, 8, iac, se]))
        try rig.tunnel.writeInbound(TunnelMessage.serialData(ByteBuffer(string: "held")))
        XCTAssertEqual(try received(client), [])
        try client.writeInbound(ByteBuffer(bytes: [iac, sb, 44, 9, iac, se]))
        XCTAssertEqual(try received(client), Array("held".utf8))
    }

    func testAResultOwedToAClientThatLeftIsDroppedAndTheNextClientKeepsWhatWasLearnt() throws {
        let rig = try Rig()
        let first = try rig.connectClient()
        try rig.agreeAndAnswerThePoll(first)
        try first.writeInbound(ByteBuffer(bytes: [iac, sb, 44, 1, 0, 0, 0x4B, 0x00, iac, se]))
        try rig.tunnel.writeInbound(TunnelMessage.serialControlResult(.init(operation: .setBaudRate, value: 19_200, status: .applied)))
        try first.writeInbound(ByteBuffer(bytes: [iac, sb, 44, 4, 2, iac, se]))
        _ = try rig.toTunnel()
        try first.close().wait()

        let second = try rig.connectClient()
        _ = try received(second)
        try rig.agree(second)
        try rig.tunnel.writeInbound(TunnelMessage.serialControlResult(.init(operation: .setStopBits, value: 2, status: .applied)))
        XCTAssertEqual(try received(second), [], "the stop-size answer belonged to the first client")
        try rig.tunnel.writeInbound(TunnelMessage.serialControlResult(.init(operation: .queryState, value: 0, status: .applied)))
        XCTAssertEqual(try received(second), answer(.modemState(0)), "the second client's own poll comes next")
        try second.writeInbound(ByteBuffer(bytes: [iac, sb, 44, 1, 0, 0, 0, 0, iac, se]))
        XCTAssertEqual(try received(second), answer(.baudRate(19_200)), "an ask is answered with what the first client set")
        try second.writeInbound(ByteBuffer(bytes: [iac, sb, 44, 3, 3, iac, se]))
        XCTAssertEqual(try rig.toTunnel(), [.serialControl(.setParity(.even))])
        try rig.tunnel.writeInbound(TunnelMessage.serialControlResult(.init(operation: .setParity, value: 1, status: .unsupported)))
        XCTAssertEqual(try received(second), answer(.parity(.none)), "this answer is the second client's")
    }

    func testMalformedTelnetClosesTheClientOnly() throws {
        let rig = try Rig()
        let client = try rig.connectClient()
        _ = try? client.writeInbound(ByteBuffer(bytes: [iac, sb, 44, 1, iac, 251, 0]))
        XCTAssertFalse(client.isActive, "the client's connection is closed")
        XCTAssertTrue(rig.tunnel.isActive, "the session is not")
    }
}
