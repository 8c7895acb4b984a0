import ArgumentParser
import Foundation
import Logging
import NIOCore
import ProgramSupport
import ServiceLifecycle
import TunnelTransport

/// `tunnel-relay serve`: run the relay until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the relay's tunnel port until SIGTERM or SIGINT.")

    @OptionGroup var options: RelayOptions

    @Option(help: "Address the tunnel port listens on (host:port).")
    var listen: String = "0.0.0.0:7443"

    @Option(help: "host:port agents and clients use to reach this relay, put in connect URLs.")
    var publicAddress: String?

    @Option(help: "Event loop threads (0: one per core).")
    var threads: Int = 0

    @Option(help: "Seconds between keepalive pings.")
    var pingInterval: Int64 = 15

    @Option(help: "Seconds of silence after which a peer is dropped.")
    var peerTimeout: Int64 = 45

    @Flag(help: "Record every session's serial traffic into <data-dir>/captures (see `tunnel-relay capture`).")
    var capture = false

    @Option(help: "Address the HTTPS admin API listens on (host:port), or \"off\". See docs/openapi.json.")
    var adminListen: String = "127.0.0.1:8443"

    @Option(
        help: ArgumentHelp(
            "Listeners behind a load balancer that sends a PROXY protocol v2 header (comma-separated).",
            discussion: "Their connections must start with the header (HAProxy: send-proxy-v2); others are closed. See docs/DEPLOY.md."))
    var proxyProtocol: ProxyListeners = []

    @Option(
        help: ArgumentHelp(
            "Balancers a PROXY protocol header is taken from: comma-separated addresses or CIDR ranges (default: any).",
            valueName: "ranges"))
    var proxyProtocolFrom: String?

    @Option(help: "This node's name among the relay nodes sharing a store (default: the host's short name).")
    var nodeName: String = NodeIdentity.defaultName()

    @Option(
        help: ArgumentHelp(
            "host:port at which the other relay nodes reach this one (default: <node-name>:<node-listen port>).",
            valueName: "host:port"))
    var nodeAddress: String?

    @Option(
        help: ArgumentHelp(
            "Where this node listens for the other relay nodes of a cluster, or off.",
            discussion:
                "Sessions whose client and agent reach different nodes are paired through it (mutual TLS under the server CA). See docs/CLUSTER.md.",
            valueName: "host:port"))
    var nodeListen: String = "off"

    func validate() throws {
        do {
            _ = try nodeIdentity()
        } catch let error as NodeIdentityError {
            throw ValidationError(error.description)
        }
        if nodeListen != "off", (try? RelayAddress(parsing: nodeListen)) == nil {
            throw ValidationError("--node-listen \"\(nodeListen.prefix(80))\" must be host:port (or [v6]:port), or off")
        }
        do {
            _ = try proxyProtocolConfiguration()
        } catch let error as AddressRangeError {
            throw ValidationError("--proxy-protocol-from: \(error)")
        }
        if let clash = listenerClash() { throw ValidationError(clash) }
    }

    func run() async throws {
        LogSetup.bootstrap(level: options.logLevel)
        let address = try RelayAddress(parsing: listen)
        let configuration = RelayConfiguration(
            listenHost: address.host, listenPort: address.port, dataDirectory: options.dataDirectory,
            publicAddress: publicAddress ?? "localhost:\(address.port)", threads: threads,
            pingInterval: .seconds(pingInterval), peerTimeout: .seconds(peerTimeout), captureSessions: capture,
            nodeName: try nodeIdentity().name, nodeAddress: try nodeIdentity().address,
            nodeListen: try nodeListenAddress().map { ($0.host, $0.port) },
            proxyProtocol: try proxyProtocolConfiguration())
        let logger = Logger(label: "tunnel-relay")
        let store = try await options.openStore()
        logger.info("Store opened", metadata: ["store": "\(options.storeDescription)"])
        // Registering sets this node's agents from an earlier run (a crash) offline, and only
        // this node's: the other nodes sharing the store keep theirs.
        let heartbeat = try await NodeHeartbeat.register(store: store, identity: try nodeIdentity(), logger: logger)
        let server = try RelayServer(configuration: configuration, store: store, logger: logger)
        // The heartbeat first, so that it stops last: the node leaves the table after its listeners.
        var services: [any Service] = [heartbeat, server]
        var listeners: [any ReloadsCredentials] = [server]
        if adminListen != "off" {
            let address = try RelayAddress(parsing: adminListen)
            let admin = try AdminAPI(
                configuration: .init(host: address.host, port: address.port, publicAddress: configuration.publicAddress),
                relay: server, store: store, logger: logger)
            services.append(admin)
            listeners.append(admin)
            logger.info("Admin API listening", metadata: ["address": "\(adminListen)"])
        }
        services.append(CredentialReload(listeners: listeners, logger: logger))
        let group = ServiceGroup(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        try await store.close()
    }

    /// `--node-listen`, unless off.
    private func nodeListenAddress() throws -> RelayAddress? {
        nodeListen == "off" ? nil : try RelayAddress(parsing: nodeListen)
    }

    /// Two listeners given one port of one address (or of every address), which the second
    /// could never bind: it would fail after the relay had started, and its clients would land
    /// on the other listener.
    private func listenerClash() -> String? {
        // `off`, and values that do not parse (refused where they are used), drop out here.
        let listeners = [("--listen", listen), ("--admin-listen", adminListen), ("--node-listen", nodeListen)]
            .compactMap { option, value in (try? RelayAddress(parsing: value)).map { (option: option, value: value, address: $0) } }
        let everyAddress: Set<String> = ["0.0.0.0", "::"]
        for (index, first) in listeners.enumerated() {
            for second in listeners[(index + 1)...] where first.address.port == second.address.port {
                let hosts = [first.address.host, second.address.host]
                if hosts[0] == hosts[1] || hosts.contains(where: everyAddress.contains) {
                    return "\(first.option) \(first.value) and \(second.option) \(second.value) are one port: each listener needs its own"
                }
            }
        }
        return nil
    }

    /// `--node-name` and `--node-address`, checked; the address defaults to the name and the
    /// node listener's port (the tunnel port without one).
    private func nodeIdentity() throws -> NodeIdentity {
        let port = (try? nodeListenAddress())??.port ?? (try? RelayAddress(parsing: listen))?.port ?? 7443
        return try NodeIdentity(name: nodeName, address: nodeAddress ?? NodeIdentity.defaultAddress(name: nodeName, listenPort: port))
    }

    /// `--proxy-protocol` and `--proxy-protocol-from` together; a range without a listener
    /// that takes headers is a mistake worth stopping for.
    private func proxyProtocolConfiguration() throws -> ProxyProtocolConfiguration {
        let ranges = try (proxyProtocolFrom ?? "").split(separator: ",").map {
            try AddressRange(parsing: $0.trimmingCharacters(in: .whitespaces))
        }
        if !ranges.isEmpty, proxyProtocol.isEmpty {
            throw ValidationError("--proxy-protocol-from needs --proxy-protocol naming the listeners that take the header")
        }
        return ProxyProtocolConfiguration(listeners: proxyProtocol, allowedBalancers: ranges)
    }
}
