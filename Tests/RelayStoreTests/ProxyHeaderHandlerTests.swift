import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import SharedWire
import XCTest

@testable import TunnelRelay

/// The relay's PROXY protocol handler on embedded channels: what the handlers after it see,
/// the address every part of the relay then uses, and the connections it refuses.
final class ProxyHeaderHandlerTests: XCTestCase {
    /// What a handler after the PROXY protocol handler sees.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var active = false
        var received: [UInt8] = []

        func channelActive(context: ChannelHandlerContext) {
            active = true
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            XCTAssertTrue(active, "a read before the connection started")
            received += Array(unwrapInboundIn(data).readableBytesView)
        }
    }

    let balancer = try! SocketAddress(ipAddress: "127.0.0.1", port: 50_000)
    let client = try! SocketAddress(ipAddress: "192.0.2.7", port: 51_000)
    let metrics = RelayMetrics()

    func makeChannel(
        _ configuration: ProxyProtocolConfiguration = .init(listeners: .tunnel), after: [any ChannelHandler] = []
    ) throws -> (EmbeddedChannel, Recorder) {
        let recorder = Recorder()
        let handler = ProxyHeaderHandler(
            listener: "tunnel", configuration: configuration, timeout: .seconds(10), refusals: metrics.proxyHeaderRefusalsTunnel,
            logger: Logger(label: "test"))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([handler] + after + [recorder])
        return (channel, recorder)
    }

    func header(_ header: ProxyHeader? = nil) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeProxyHeader(header ?? .proxied(source: client, destination: try SocketAddress(ipAddress: "127.0.0.1", port: 7443)))
        return buffer
    }

    var refusals: String {
        String(decoding: metrics.registry.emitToBuffer(), as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("relay_proxy_header_refusals_total{listener=\"tunnel\"}") }.map(String.init) ?? "none"
    }

    func testHeaderGivesTheClientsAddressAndThenTheBytesAfterIt() throws {
        let (channel, recorder) = try makeChannel()
        try channel.connect(to: balancer).wait()
        XCTAssertFalse(recorder.active, "the connection starts for the next handlers only with the header read")
        var bytes = try header()
        bytes.writeBytes([0x16, 0x03, 0x01])
        try channel.writeInbound(bytes)
        XCTAssertTrue(recorder.active)
        XCTAssertEqual(recorder.received, [0x16, 0x03, 0x01])
        XCTAssertEqual(channel.clientAddress, client)
        XCTAssertEqual(channel.clientSource, "192.0.2.7")
        XCTAssertEqual(channel.remoteAddress, balancer, "the socket's peer is still the balancer")
        XCTAssertThrowsError(try channel.pipeline.syncOperations.handler(type: ProxyHeaderHandler.self), "it left the pipeline")
        try channel.writeInbound(ByteBuffer(bytes: [0x17]))
        XCTAssertEqual(recorder.received, [0x16, 0x03, 0x01, 0x17])
        let before = ClientAddresses.shared.count
        _ = try channel.finish()
        XCTAssertEqual(ClientAddresses.shared.count, before - 1, "the address is forgotten with the connection")
    }

    func testHeaderArrivingByteByByte() throws {
        let (channel, recorder) = try makeChannel()
        try channel.connect(to: balancer).wait()
        for byte in try header().readableBytesView {
            XCTAssertFalse(recorder.active)
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        XCTAssertTrue(recorder.active)
        XCTAssertEqual(recorder.received, [])
        XCTAssertEqual(channel.clientSource, "192.0.2.7")
        _ = try channel.finish()
    }

    func testLocalHeaderKeepsTheBalancersAddress() throws {
        let (channel, recorder) = try makeChannel()
        try channel.connect(to: balancer).wait()
        try channel.writeInbound(try header(.local))
        XCTAssertTrue(recorder.active)
        XCTAssertEqual(channel.clientAddress, balancer)
        _ = try channel.finish()
    }

    func testConnectionWithoutAHeaderIsClosedAndCounted() throws {
        let (channel, recorder) = try makeChannel()
        try channel.connect(to: balancer).wait()
        XCTAssertEqual(refusals, "relay_proxy_header_refusals_total{listener=\"tunnel\"} 0")
        // A TLS ClientHello straight to the listener.
        _ = try? channel.writeInbound(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0xC8]))
        XCTAssertFalse(channel.isActive)
        XCTAssertFalse(recorder.active)
        XCTAssertEqual(recorder.received, [])
        XCTAssertEqual(refusals, "relay_proxy_header_refusals_total{listener=\"tunnel\"} 1")
    }

    func testHeaderNotWholeInTimeIsClosed() throws {
        let (channel, recorder) = try makeChannel()
        try channel.connect(to: balancer).wait()
        try channel.writeInbound(try header().getSlice(at: 0, length: 20)!)
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertFalse(channel.isActive)
        XCTAssertFalse(recorder.active)
        XCTAssertEqual(refusals, "relay_proxy_header_refusals_total{listener=\"tunnel\"} 1")
    }

    func testPeerOutsideTheAllowedBalancersIsClosedBeforeItSends() throws {
        let allowed = ProxyProtocolConfiguration(listeners: .tunnel, allowedBalancers: [try AddressRange(parsing: "10.0.0.0/8")])
        let (channel, recorder) = try makeChannel(allowed)
        try channel.connect(to: balancer).wait()
        XCTAssertFalse(channel.isActive)
        XCTAssertFalse(recorder.active)

        let (inside, insideRecorder) = try makeChannel(allowed)
        try inside.connect(to: try SocketAddress(ipAddress: "10.1.2.3", port: 40_000)).wait()
        try inside.writeInbound(try header())
        XCTAssertTrue(insideRecorder.active)
        _ = try inside.finish()
    }

    func testSourceLimitsCountTheProxiedClientNotTheBalancer() throws {
        let limiter = NIOLockedValueBox(SourceLimiter(configuration: .init(maxConnectionsPerSource: 1)))
        let (first, firstRecorder) = try makeChannel(after: [SourceGate(limiter: limiter)])
        try first.connect(to: balancer).wait()
        try first.writeInbound(try header())
        XCTAssertTrue(firstRecorder.active)

        // Another client through the same balancer is a source of its own.
        let (other, otherRecorder) = try makeChannel(after: [SourceGate(limiter: limiter)])
        try other.connect(to: balancer).wait()
        try other.writeInbound(
            try header(.proxied(source: try SocketAddress(ipAddress: "192.0.2.8", port: 1), destination: balancer)))
        XCTAssertTrue(otherRecorder.active)

        // The first client again: its one connection is taken.
        let (second, secondRecorder) = try makeChannel(after: [SourceGate(limiter: limiter)])
        try second.connect(to: balancer).wait()
        try second.writeInbound(try header())
        XCTAssertFalse(secondRecorder.active)
        XCTAssertFalse(second.isActive)
        _ = try first.finish()
        _ = try other.finish()
    }

    func testAddressRanges() throws {
        let loopback = try AddressRange(parsing: "127.0.0.0/8")
        XCTAssertTrue(loopback.contains(try SocketAddress(ipAddress: "127.0.0.5", port: 1)))
        XCTAssertFalse(loopback.contains(try SocketAddress(ipAddress: "128.0.0.1", port: 1)))
        XCTAssertFalse(loopback.contains(try SocketAddress(ipAddress: "::1", port: 1)))
        XCTAssertEqual(loopback.description, "127.0.0.0/8")
        let single = try AddressRange(parsing: "10.1.2.3")
        XCTAssertTrue(single.contains(try SocketAddress(ipAddress: "10.1.2.3", port: 9)))
        XCTAssertFalse(single.contains(try SocketAddress(ipAddress: "10.1.2.4", port: 9)))
        let v6 = try AddressRange(parsing: "2001:db8::/33")
        XCTAssertTrue(v6.contains(try SocketAddress(ipAddress: "2001:db8:7fff::1", port: 1)))
        XCTAssertFalse(v6.contains(try SocketAddress(ipAddress: "2001:db8:8000::1", port: 1)))
        XCTAssertTrue(try AddressRange(parsing: "0.0.0.0/0").contains(try SocketAddress(ipAddress: "203.0.113.1", port: 1)))
        for bad in ["", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "::/129", "relay.example", "10.0.0/8"] {
            XCTAssertThrowsError(try AddressRange(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".contains("is not an address range"), "\(error)")
            }
        }
    }

    func testListenerNames() {
        XCTAssertEqual(ProxyListeners(names: "tunnel"), .tunnel)
        XCTAssertEqual(ProxyListeners(names: "admin"), .admin)
        XCTAssertEqual(ProxyListeners(names: "tunnel,admin"), [.tunnel, .admin])
        XCTAssertEqual(ProxyListeners(names: "admin, tunnel"), [.tunnel, .admin])
        XCTAssertEqual(ProxyListeners(names: "off"), [])
        XCTAssertNil(ProxyListeners(names: "tunel"))
        XCTAssertNil(ProxyListeners(names: "tunnel,"))
        XCTAssertEqual(ProxyListeners([.tunnel, .admin]).names, "tunnel,admin")
        XCTAssertEqual(ProxyListeners().names, "off")
    }
}
