import AgentConfig
import Foundation

/// The server-side RPC methods the agent answers. Each request ID is answered once per broker
/// connection: a request that arrives again on the same connection gets the first answer again
/// without running twice. ThingsBoard numbers a session's requests afresh, so after a reconnect
/// (a broker or server restart) the same ID is a new request and gets a fresh answer.
final class AgentRPC: @unchecked Sendable {  // used from the uplink's event task only
    /// Answers remembered for repeated request IDs.
    static let rememberedAnswers = 256
    static let methods = ["tunnel.open", "tunnel.close", "agent.status", "agent.restart", "config.get"]

    private let facts: AgentFacts
    private let demand: TunnelDemand?
    private let sessions: @Sendable () -> Int
    private let queueStatus: @Sendable () async -> (records: Int, bytes: Int, dropped: Int64)
    private let configuration: AgentConfiguration
    private let restart: @Sendable (String) -> Void
    private var answers: [String: String] = [:]
    private var answerOrder: [String] = []
    private let startedAt = Date()

    init(
        facts: AgentFacts, demand: TunnelDemand?, sessions: @escaping @Sendable () -> Int,
        queueStatus: @escaping @Sendable () async -> (records: Int, bytes: Int, dropped: Int64), configuration: AgentConfiguration,
        restart: @escaping @Sendable (String) -> Void
    ) {
        self.facts = facts
        self.demand = demand
        self.sessions = sessions
        self.queueStatus = queueStatus
        self.configuration = configuration
        self.restart = restart
    }

    /// A new broker connection (CONNACK 0): request IDs seen before belong to the old session.
    func connectionStarted() {
        answers.removeAll()
        answerOrder.removeAll()
    }

    /// The answer (JSON text) to request `id` with `payload`, and what to do after sending it.
    func answer(id: String, payload: [UInt8]) async -> (text: String, afterwards: (@Sendable () -> Void)?) {
        if let earlier = answers[id] { return (earlier, nil) }
        let (text, afterwards) = await run(payload)
        answers[id] = text
        answerOrder.append(id)
        if answerOrder.count > Self.rememberedAnswers { answers.removeValue(forKey: answerOrder.removeFirst()) }
        return (text, afterwards)
    }

    private func run(_ payload: [UInt8]) async -> (String, (@Sendable () -> Void)?) {
        guard let request = try? JSONParser.parse(payload), let method = request["method"]?.stringValue else {
            return (Self.error("badRequest", #"an RPC request is {"method": "…", "params": …}"#), nil)
        }
        let params = request["params"]
        switch method {
        case "tunnel.open":
            guard let demand else {
                return (Self.notOnDemand(configuration.settings), nil)
            }
            var minutes = TunnelDemand.defaultDuration / 60
            if let given = params?["minutes"] {
                guard let value = given.numberValue, value > 0, value <= 24 * 60 else {
                    return (Self.error("badParams", "params.minutes must be a number from 1 to 1440"), nil)
                }
                minutes = value
            }
            demand.open(for: minutes * 60)
            return ("{\"tunnel\":\"opening\",\"minutes\":\(JSONValue.text(of: minutes))}", nil)
        case "tunnel.close":
            guard let demand else {
                return (Self.notOnDemand(configuration.settings), nil)
            }
            demand.close()
            return (#"{"tunnel":"closed"}"#, nil)
        case "agent.status":
            return (await status(), nil)
        case "agent.restart":
            let restart = self.restart
            return (#"{"restarting":true}"#, { restart("agent.restart RPC") })
        case "config.get":
            return (configurationText(), nil)
        default:
            return (Self.error("unknownMethod", "no method \(method); the agent answers " + Self.methods.joined(separator: ", ")), nil)
        }
    }

    private func status() async -> String {
        let facts = facts.snapshot
        let queue = await queueStatus()
        var certificate: AgentStatus.CertificateFacts?
        if let serial = facts.certificateSerial, let notAfter = facts.certificateNotAfter {
            certificate = .init(serial: serial, notAfter: ISO8601DateFormatter().string(from: notAfter))
        }
        return UplinkJSON.text(
            AgentStatus(
                agentVersion: AgentCommand.version, uptimeSeconds: Int(Date().timeIntervalSince(startedAt)),
                relayConnected: facts.relayConnected, serialOpen: facts.serialOpen, sessions: sessions(),
                tunnelMode: configuration.settings.tunnelMode,
                queue: .init(records: queue.records, bytes: queue.bytes, dropped: queue.dropped),
                configHash: facts.configurationHash, bmsFirmware: facts.bmsFirmware, bmsSerialNumber: facts.bmsSerialNumber,
                certificate: certificate))
    }

    /// Both files in effect, secrets masked.
    private func configurationText() -> String {
        func masked(_ bytes: [UInt8]) -> String {
            guard let json = try? JSONParser.parse(bytes) else { return "null" }
            return Self.masking(json).text
        }
        return "{\"settings.json\":\(masked(configuration.settingsText)),\"params_config.json\":\(masked(configuration.paramsText))}"
    }

    /// Keys whose values are secrets and never leave the gateway.
    static let secretKeys: Set<String> = ["password", "passkey", "secret", "access_token"]

    static func masking(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(
                members.map { member in
                    JSONMember(
                        key: member.key,
                        value: secretKeys.contains(member.key) && member.value != .string("") ? .string("********") : masking(member.value))
                })
        case .array(let elements):
            return .array(elements.map(masking))
        default:
            return value
        }
    }

    /// The answer to `tunnel.open` or `tunnel.close` when the tunnel is not on demand.
    static func notOnDemand(_ settings: AgentSettings) -> String {
        guard settings.tunnel != nil else {
            return error("noTunnel", "this gateway's settings.json has no tunnel section: there is no relay link to open")
        }
        return error("notOnDemand", #"the tunnel is always open here (settings.json tunnel.mode "always")"#)
    }

    static func error(_ code: String, _ message: String) -> String {
        UplinkJSON.text(RPCErrorAnswer(error: .init(code: code, message: message)))
    }
}
