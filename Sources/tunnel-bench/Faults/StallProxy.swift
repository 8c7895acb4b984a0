import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy on loopback that can go silent: `stall()` stops forwarding in both directions
/// without closing anything (no FIN, no RST: a pulled cable, a NAT binding dropped), and
/// connections opened meanwhile are accepted and then ignored. `restore()` forgets the old
/// connections (a NAT that lost its binding answers their next packet with RST) and forwards
/// new ones again.
final class StallProxy: Sendable {
    private let group: any EventLoopGroup
    private let target: SocketAddress
    private let state = NIOLockedValueBox(State())
    private let server: any Channel

    private struct State {
        var stalled = false
        var connections: [ObjectIdentifier: any Channel] = [:]
    }

    var port: Int { server.localAddress!.port! }

    init(group: any EventLoopGroup, targetPort: Int) async throws {
        self.group = group
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: targetPort)
        self.target = target
        let state = self.state
        server = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelInitializer { inbound in
                let stalled = state.withLockedValue { state in
                    state.connections[ObjectIdentifier(inbound)] = inbound
                    return state.stalled
                }
                inbound.closeFuture.whenComplete { _ in
                    state.withLockedValue { _ = $0.connections.removeValue(forKey: ObjectIdentifier(inbound)) }
                }
                // While stalled, a new connection is held and never answered.
                if stalled { return inbound.eventLoop.makeSucceededVoidFuture() }
                return ClientBootstrap(group: inbound.eventLoop)
                    .channelOption(ChannelOptions.autoRead, value: false)
                    .channelInitializer { outbound in
                        outbound.pipeline.addHandler(Forwarder(partner: inbound, stalled: state))
                    }
                    .connect(to: target)
                    .flatMap { outbound in
                        state.withLockedValue { $0.connections[ObjectIdentifier(outbound)] = outbound }
                        // A close crosses the proxy only while it forwards: a dead path carries no FIN.
                        outbound.closeFuture.whenComplete { _ in
                            let stalled = state.withLockedValue { state in
                                state.connections.removeValue(forKey: ObjectIdentifier(outbound))
                                return state.stalled
                            }
                            if !stalled { inbound.close(promise: nil) }
                        }
                        inbound.closeFuture.whenComplete { _ in
                            if !state.withLockedValue({ $0.stalled }) { outbound.close(promise: nil) }
                        }
                        return inbound.pipeline.addHandler(Forwarder(partner: outbound, stalled: state)).map {
                            inbound.read()
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Stops forwarding both ways; nothing is closed.
    func stall() { state.withLockedValue { $0.stalled = true } }

    /// Resets every connection that lived through the stall and forwards new ones again.
    func restore() {
        let old = state.withLockedValue { state -> [any Channel] in
            state.stalled = false
            defer { state.connections = [:] }
            return Array(state.connections.values)
        }
        for channel in old {
            // SO_LINGER 0: the close sends RST, as a NAT that forgot the binding would.
            guard let socket = channel as? any SocketOptionProvider else {
                channel.close(promise: nil)
                continue
            }
            socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func close() async { try? await server.close() }

    /// Reads from one side and writes to the other; while stalled it stops reading, so the
    /// bytes stay in the kernel's buffers and nothing moves.
    private final class Forwarder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let partner: any Channel
        let stalled: NIOLockedValueBox<State>

        init(partner: any Channel, stalled: NIOLockedValueBox<State>) {
            self.partner = partner
            self.stalled = stalled
        }

        func channelActive(context: ChannelHandlerContext) {
            context.read()
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if stalled.withLockedValue({ $0.stalled }) { return }  // dropped: the cable is out
            partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            if stalled.withLockedValue({ $0.stalled }) {
                // Stop reading; the stall ends with `restore`, which resets these connections.
                return
            }
            context.read()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
