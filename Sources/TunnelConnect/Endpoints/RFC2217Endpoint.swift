import Logging
import NIOConcurrencyHelpers
import NIOCore
import SharedWire
import TunnelTransport

/// An RFC 2217 port: Telnet with COM-PORT-OPTION, so that a client (pyserial's
/// `rfc2217://`, a Windows virtual COM port driver) changes the far port's speed, framing
/// and lines as well as carrying its bytes. One client at a time; the session outlives a
/// client, which may disconnect and connect again.
final class RFC2217Endpoint: LocalEndpoint {
    private let address: RelayAddress
    private let logger: Logger
    private let listener: SingleClientListener
    private let state = NIOLockedValueBox<State>(State())

    private struct State {
        var link: SerialControlLink?
        /// What the last client's connection learnt about the port, for the next one.
        var settings = ComPortSettings()
    }

    init(address: RelayAddress, logger: Logger = Logger(label: "tunnel-connect.rfc2217")) {
        self.address = address
        self.logger = logger
        self.listener = SingleClientListener(logger: logger)
    }

    var controlReceiver: (any SerialControlReceiver)? { state.withLockedValue { $0.link } }

    func start(bridge: SerialBridge) async throws -> String {
        let state = self.state
        let logger = self.logger
        let link = SerialControlLink(bridge: bridge, logger: logger)
        state.withLockedValue { $0.link = link }
        let bound = try await listener.start(address: address, eventLoop: bridge.eventLoop) { channel in
            let settings = state.withLockedValue { $0.settings }
            let handler = ComPortServerHandler(settings: settings, link: link, logger: logger) { learnt in
                state.withLockedValue { $0.settings = learnt }
            }
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(ByteToMessageHandler(TelnetDecoder()))
            try pipeline.addHandler(handler)
            try pipeline.addHandler(bridge.makeLocalHandler())
        }
        return "rfc2217://\(bound)"
    }

    let survivesLocalClose = true

    func setReading(_ on: Bool) { listener.setReading(on) }

    func close() { listener.close() }
}
