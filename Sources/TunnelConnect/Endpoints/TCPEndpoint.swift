import Logging
import NIOCore
import TunnelTransport

/// A raw TCP port carrying the serial bytes, one Control Panel connection at a time. The
/// session outlives a connection: the Control Panel may disconnect and connect again.
final class TCPEndpoint: LocalEndpoint {
    private let address: RelayAddress
    private let listener: SingleClientListener

    init(address: RelayAddress, logger: Logger = Logger(label: "tunnel-connect.tcp")) {
        self.address = address
        self.listener = SingleClientListener(logger: logger)
    }

    func start(bridge: SerialBridge) async throws -> String {
        let bound = try await listener.start(address: address, eventLoop: bridge.eventLoop) { channel in
            try channel.pipeline.syncOperations.addHandler(bridge.makeLocalHandler())
        }
        return "tcp://\(bound)"
    }

    let survivesLocalClose = true

    func setReading(_ on: Bool) { listener.setReading(on) }

    func close() { listener.close() }
}
