import AgentConfig
import Foundation
import Logging
import Mosquitto
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The agent's ThingsBoard device connection: telemetry from the durable queue (oldest first,
/// paced, removed only after PUBACK), client attributes every `attr_send_period`, shared
/// attributes (the portal's configuration) and server-side RPC. Provisions the device first
/// when it has a provision key and no credentials. A broker that refuses the credentials
/// stops the uplink with an error an operator can act on; everything else is retried.
public final class MQTTUplink: Service, Sendable {
    let settings: AgentSettings.MQTT
    private let broker: BrokerAddress
    private let clientID: String
    private let credentialsPath: String
    let queue: TelemetryQueue
    let committed: WakeSignal
    private let facts: AgentFacts
    private let rpc: AgentRPC
    private let portal: PortalConfiguration
    private let firmware: FirmwareUpdater
    let logger: Logger
    let state: NIOLockedValueBox<State>

    struct State {
        var publisher: TelemetryPublisher
        var connected = false
        /// Counts connections, so a batch read before a reconnect is not sent after it.
        var generation = 0
        var nextRequestID = 1
        /// The session limits of this connection (MQTTUplink+Telemetry.swift).
        var limits = LimitsState.asking(since: 0, requestID: 0)
        /// Paces telemetry within the limits; what was sent stays counted across reconnects.
        var pacer = TelemetryPacer(limits: .conservative, publishRate: 0)
    }

    /// Messages in flight at once: ThingsBoard allows about 100 per device; a few tens stay well below.
    static let window = 20

    init(
        settings: AgentSettings.MQTT, broker: BrokerAddress, clientID: String, credentialsPath: String, queue: TelemetryQueue,
        committed: WakeSignal, facts: AgentFacts, rpc: AgentRPC, portal: PortalConfiguration, firmware: FirmwareUpdater,
        logger: Logger
    ) {
        self.settings = settings
        self.broker = broker
        self.clientID = clientID
        self.credentialsPath = credentialsPath
        self.queue = queue
        self.committed = committed
        self.facts = facts
        self.rpc = rpc
        self.portal = portal
        self.firmware = firmware
        self.logger = logger
        self.state = NIOLockedValueBox(
            State(
                publisher: TelemetryPublisher(window: Self.window, sequenceKey: settings.sequenceKey.isEmpty ? nil : settings.sequenceKey)))
    }

    var baseOptions: MosquittoOptions {
        MosquittoOptions(
            host: broker.host, port: broker.port, clientID: clientID, cleanSession: true,
            tls: settings.usesTLS
                ? .init(
                    caFile: settings.ca.isEmpty ? "/etc/ssl/certs/ca-certificates.crt" : settings.ca,
                    certificateFile: settings.cliCert.isEmpty ? nil : settings.cliCert,
                    keyFile: settings.cliKey.isEmpty ? nil : settings.cliKey)
                : nil,
            keepalive: 30, maxInflight: Self.window, reconnectDelayMin: 1, reconnectDelayMax: 30)
    }

    /// Why a client's event stream ended.
    enum ClientEnd: Sendable {
        /// The broker refused the credentials: nothing to do until the configuration changes.
        case refused
        /// libmosquitto gave up on the connection (a TLS handshake failure): a new client, later.
        case failed
    }

    public func run() async throws {
        guard transportUsable() else {
            // Stopped for an operator; the queue keeps filling (within its bounds) meanwhile.
            try? await gracefulShutdown()
            return
        }
        guard let credentials = await credentials() else {
            // Stopped for an operator; the queue keeps filling (within its bounds) meanwhile.
            try? await gracefulShutdown()
            return
        }
        var backoff = ReconnectBackoff(initial: 1, maximum: 60)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let base = baseOptions
            let client = try MosquittoClient(
                options: MosquittoOptions(
                    host: base.host, port: base.port, clientID: base.clientID, cleanSession: true, username: credentials.username,
                    password: credentials.password, tls: base.tls, keepalive: base.keepalive, maxInflight: base.maxInflight,
                    reconnectDelayMin: base.reconnectDelayMin, reconnectDelayMax: base.reconnectDelayMax))
            let end: ClientEnd?
            do {
                try client.start()
                logger.info(
                    "MQTT uplink started",
                    metadata: ["broker": "\(broker)", "tls": "\(settings.usesTLS)", "credentials": "\(credentials.source)"])
                end = await cancelWhenGracefulShutdown { await self.serve(client) }
            } catch {
                logger.warning("MQTT client could not start", metadata: ["broker": "\(broker)", "error": "\(error)"])
                end = .failed
            }
            client.stop()
            state.withLockedValue { $0.connected = false }
            facts.update { $0.brokerConnected = false }
            switch end {
            case .refused:
                try? await gracefulShutdown()
                return
            case .failed:
                let delay = backoff.nextDelay(jitter: Double.random(in: 0...1))
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(delay)) }
            case nil:
                break
            }
        }
        committed.finish()
    }

    /// Runs the uplink on `client` until its events end (why) or the task is cancelled (nil).
    private func serve(_ client: MosquittoClient) async -> ClientEnd? {
        await withTaskGroup(of: ClientEnd?.self) { group in
            group.addTask { await self.handleEvents(client) }
            group.addTask {
                await self.pump(client)
                return nil
            }
            group.addTask {
                await self.sendAttributesPeriodically(client)
                return nil
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    await self.firmware.tick()
                }
                return nil
            }
            let end = await group.next() ?? nil
            group.cancelAll()
            return end
        }
    }

    /// False, with an error naming the file, when a configured client certificate or key
    /// cannot be read: never a silent fallback to an anonymous connection. Warns of cleartext.
    private func transportUsable() -> Bool {
        let problems = settings.fileProblems()
        for problem in problems {
            logger.error(
                "MQTT uplink stopped: a configured client certificate file cannot be used",
                metadata: ["setting": "\(problem.path)", "problem": "\(problem.found)", "expected": "\(problem.expected)"])
        }
        if problems.isEmpty && !settings.usesTLS {
            logger.warning(
                "MQTT uplink in cleartext: credentials and telemetry travel unencrypted",
                metadata: ["broker": "\(broker)", "hint": "mqtts:// or port 8883 uses TLS"])
        }
        return problems.isEmpty
    }

    /// The credentials to connect with, provisioning first when needed; nil when an operator must act.
    private func credentials() async -> MQTTCredentials? {
        var backoff = ReconnectBackoff(initial: 2, maximum: 300)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if let resolved = try MQTTCredentials.resolve(settings, storedPath: credentialsPath) { return resolved }
                guard let provision = settings.provision else { return nil }
                let token = try await DeviceProvisioning.run(provision, options: baseOptions, logger: logger)
                try MQTTCredentials.store(token: token, at: credentialsPath)
                logger.notice("Device provisioned; credentials stored", metadata: ["path": "\(credentialsPath)"])
            } catch let error as ProvisioningError {
                logger.error("MQTT uplink stopped: provisioning needs an operator", metadata: ["reason": "\(error)"])
                return nil
            } catch {
                let delay = backoff.nextDelay(jitter: Double.random(in: 0...1))
                logger.warning("Provisioning failed; trying again", metadata: ["error": "\(error)", "delay.seconds": "\(Int(delay))"])
                try? await Task.sleep(for: .seconds(delay))
            }
        }
        return nil
    }

    // MARK: Events

    private func handleEvents(_ client: MosquittoClient) async -> ClientEnd? {
        for await event in client.events {
            switch event {
            case .connected(0, _):
                let now = Self.now
                let generation = state.withLockedValue { state -> Int in
                    state.connected = true
                    state.generation += 1
                    // libmosquitto sends its unacknowledged copies again at once: they count.
                    for cost in state.publisher.restart() { state.pacer.record(cost, at: now) }
                    return state.generation
                }
                rpc.connectionStarted()
                facts.update { $0.brokerConnected = true }
                logger.info("MQTT connected", metadata: ["broker": "\(broker)"])
                subscribeAndAsk(client)
                askSessionLimits(client, generation: generation)
                await firmware.connected(client) { [weak self] in await self?.paceBackgroundMessage() }
                for status in portal.unreportedRollbacks() {
                    _ = try? client.publish(topic: ThingsBoardTopic.attributes, payload: status, qos: 1)
                }
                committed.signal()
            case .connected(let code, let reason):
                if MosquittoEvent.isPermanentRefusal(connackCode: code) {
                    logger.error(
                        "MQTT broker refused the credentials; uplink stopped until the configuration is fixed",
                        metadata: [
                            "broker": "\(broker)", "connack": "\(code)", "reason": "\(reason)",
                        ])
                    return .refused
                }
                logger.warning("MQTT broker refused the connection for now", metadata: ["connack": "\(code)", "reason": "\(reason)"])
            case .disconnected(let code, let reason):
                state.withLockedValue { $0.connected = false }
                facts.update { $0.brokerConnected = false }
                await firmware.disconnected()
                if code != 0 { logger.warning("MQTT connection lost", metadata: ["broker": "\(broker)", "reason": "\(reason)"]) }
            case .published(let messageID):
                let firmwareCost = await firmware.acknowledged(messageID)
                let now = Self.now
                let acknowledgement = state.withLockedValue { state in
                    let acknowledgement = state.publisher.acknowledge(messageID)
                    // Attributes, RPC answers, requests and firmware reports: counted when
                    // acknowledged, never held back (chunk requests were counted when they went).
                    if acknowledgement == .other {
                        state.pacer.record(firmwareCost ?? .other, at: now)
                    }
                    return acknowledgement
                }
                guard case .done(let done) = acknowledgement else { continue }
                do {
                    try await queue.remove(from: done.first, through: done.last)
                } catch {
                    logger.error("Acknowledged telemetry could not be removed from the queue", metadata: ["error": "\(error)"])
                }
                committed.signal()
            case .message(let topic, let payload):
                if handleLimitsMessage(topic: topic, payload: payload) { continue }
                await handleMessage(client, topic: topic, payload: payload)
            case .subscribed(_, let granted):
                if granted.contains(0x80) { logger.warning("MQTT broker refused a subscription", metadata: ["granted": "\(granted)"]) }
            case .failure(let message):
                logger.error("MQTT connection failed", metadata: ["broker": "\(broker)", "reason": "\(message)"])
                return .failed
            }
        }
        return nil
    }

    /// After every CONNACK (the server keeps no session): subscribe, and ask for the shared attributes.
    private func subscribeAndAsk(_ client: MosquittoClient) {
        do {
            for topic in [
                ThingsBoardTopic.attributes, ThingsBoardTopic.attributeResponses, ThingsBoardTopic.rpcRequests, FirmwareTopic.responses,
                FirmwareTopic.errors,
            ] {
                _ = try client.subscribe(topic, qos: 1)
            }
            let id = state.withLockedValue { state -> Int in
                defer { state.nextRequestID += 1 }
                return state.nextRequestID
            }
            let keys = ([PortalConfiguration.settingsKey, PortalConfiguration.paramsKey] + FirmwareTarget.keys).joined(separator: ",")
            _ = try client.publish(
                topic: ThingsBoardTopic.attributeRequest(id), payload: UplinkJSON.text(SharedAttributesRequest(sharedKeys: keys)), qos: 1)
            try sendAttributes(client)
        } catch {
            logger.warning("MQTT subscription or attribute request failed", metadata: ["error": "\(error)"])
        }
    }

    private func handleMessage(_ client: MosquittoClient, topic: String, payload: [UInt8]) async {
        if topic.hasPrefix(FirmwareTopic.responsePrefix) || topic == FirmwareTopic.errors {
            await firmware.message(topic: topic, payload: payload)
            return
        }
        if topic.hasPrefix(ThingsBoardTopic.rpcRequestPrefix) {
            let id = String(topic.dropFirst(ThingsBoardTopic.rpcRequestPrefix.count))
            let (answer, afterwards) = await rpc.answer(id: id, payload: payload)
            logger.info("RPC answered", metadata: ["rpc.id": "\(id)"])
            _ = try? client.publish(topic: ThingsBoardTopic.rpcResponse(id), payload: answer, qos: 1)
            if let afterwards {
                try? await Task.sleep(for: .milliseconds(200))  // let the answer leave first
                afterwards()
            }
            return
        }
        guard topic == ThingsBoardTopic.attributes || topic.hasPrefix(ThingsBoardTopic.attributeResponsePrefix) else { return }
        guard let json = try? JSONParser.parse(payload) else {
            logger.warning("Shared attributes that are not JSON ignored", metadata: ["topic": "\(topic)", "bytes": "\(payload.count)"])
            return
        }
        // An update carries the changed keys; a response carries them under "shared".
        let isResponse = topic != ThingsBoardTopic.attributes
        let attributes = isResponse ? (json["shared"] ?? .object([])) : json
        await firmware.attributes(attributes, isResponse: isResponse)
        let (outcomes, afterwards) = portal.apply(attributes, isResponse: isResponse)
        for (file, outcome) in outcomes {
            if let status = PortalConfiguration.statusAttribute(file: file, outcome: outcome) {
                _ = try? client.publish(topic: ThingsBoardTopic.attributes, payload: status, qos: 1)
            }
        }
        if let afterwards {
            try? await Task.sleep(for: .milliseconds(200))  // let the statuses leave first, as an RPC's answer does
            // Already shutting down: the stored files are read at the next start; a restart now
            // would turn a SIGTERM into a restart.
            if !Task.isCancelled { afterwards() }
        }
    }

    // MARK: Client attributes

    private func sendAttributesPeriodically(_ client: MosquittoClient) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(settings.attrSendPeriod))
            if state.withLockedValue({ $0.connected }) { try? sendAttributes(client) }
        }
    }

    private func sendAttributes(_ client: MosquittoClient) throws {
        let facts = facts.snapshot
        let attributes = ClientAttributes(
            agentVersion: AgentCommand.version, configHash: facts.configurationHash, firmwareVersion: facts.bmsFirmware,
            serialNumber: facts.bmsSerialNumber, hardwareType: facts.bmsHardware, texts: facts.bmsTexts)
        _ = try client.publish(topic: ThingsBoardTopic.attributes, payload: UplinkJSON.text(attributes), qos: 1)
    }
}
