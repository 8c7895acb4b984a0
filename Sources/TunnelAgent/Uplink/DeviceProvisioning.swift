import AgentConfig
import Logging
import Mosquitto

/// ThingsBoard's provisioning exchange, run once: connect as `provision`, send the device
/// name with the fleet's key and secret, receive the device's access token.
enum DeviceProvisioning {
    /// How long the broker has to answer.
    static let answerTimeout: Duration = .seconds(60)

    /// The access token the server issued. Throws `ProvisioningError` for an answer that needs
    /// an operator (CONNACK 2, 4 or 5, NOT_FOUND, FAILURE) and other errors for a connection
    /// that may work later (CONNACK 1 or 3, no broker, no answer in time).
    static func run(_ provision: AgentSettings.MQTT.Provision, options base: MosquittoOptions, logger: Logger) async throws -> String {
        let options = MosquittoOptions(
            host: base.host, port: base.port, clientID: base.clientID, cleanSession: true, username: ThingsBoardTopic.provisionUsername,
            password: nil, tls: base.tls, keepalive: base.keepalive, maxInflight: base.maxInflight,
            reconnectDelayMin: base.reconnectDelayMin, reconnectDelayMax: base.reconnectDelayMax)
        let client = try MosquittoClient(options: options)
        try client.start()
        defer { client.stop() }
        let request = UplinkJSON.text(
            ProvisionRequest(
                deviceName: provision.deviceName, provisionDeviceKey: provision.key, provisionDeviceSecret: provision.secret))
        return try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                for await event in client.events {
                    switch event {
                    case .connected(0, _):
                        _ = try client.subscribe(ThingsBoardTopic.provisionResponse, qos: 1)
                    case .subscribed:
                        _ = try client.publish(topic: ThingsBoardTopic.provisionRequest, payload: request, qos: 1)
                        logger.info("Provisioning requested", metadata: ["device.name": "\(provision.deviceName)"])
                    case .connected(let code, let reason):
                        guard MosquittoEvent.isPermanentRefusal(connackCode: code) else {
                            // 1 (protocol version) and 3 (server unavailable): the server may take it later.
                            throw ProvisioningRefusedForNow(code: code, reason: reason)
                        }
                        throw ProvisioningError(message: "the broker refused the provisioning connection (CONNACK \(code): \(reason))")
                    case .message(ThingsBoardTopic.provisionResponse, let payload):
                        return try answer(payload, deviceName: provision.deviceName)
                    default:
                        continue
                    }
                }
                throw ProvisioningInterrupted()
            }
            group.addTask {
                try await Task.sleep(for: answerTimeout)
                throw ProvisioningTimeout()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// The token in a provisioning answer, or why there is none.
    static func answer(_ payload: [UInt8], deviceName: String) throws -> String {
        guard let json = try? JSONParser.parse(payload) else {
            throw ProvisioningError(message: "the provisioning answer is not JSON: \(String(decoding: payload.prefix(200), as: UTF8.self))")
        }
        let status = json["status"]?.stringValue ?? json["provisionDeviceStatus"]?.stringValue ?? "(none)"
        switch status {
        case "SUCCESS":
            guard json["credentialsType"]?.stringValue ?? "ACCESS_TOKEN" == "ACCESS_TOKEN",
                let token = json["credentialsValue"]?.stringValue, !token.isEmpty
            else {
                throw ProvisioningError(message: "the provisioning answer has no ACCESS_TOKEN credentials: \(json.text)")
            }
            return token
        case "NOT_FOUND":
            throw ProvisioningError(
                message:
                    "provisioning of \(deviceName) refused (NOT_FOUND): the provision key or secret is wrong, or provisioning is off for the profile"
            )
        default:
            let detail = json["errorMsg"]?.stringValue ?? json.text
            throw ProvisioningError(message: "provisioning of \(deviceName) refused (\(status)): \(detail)")
        }
    }
}

/// No answer in time: the broker or server may be down; worth trying again later.
struct ProvisioningTimeout: Error, CustomStringConvertible {
    var description: String { "no provisioning answer within \(DeviceProvisioning.answerTimeout)" }
}

/// The broker refused the provisioning connection for now (CONNACK 1 or 3): worth trying again later.
struct ProvisioningRefusedForNow: Error, CustomStringConvertible {
    let code: Int32
    let reason: String
    var description: String { "the broker refused the provisioning connection for now (CONNACK \(code): \(reason))" }
}

/// The provisioning connection ended before an answer: worth trying again later.
struct ProvisioningInterrupted: Error, CustomStringConvertible {
    var description: String { "the provisioning connection ended without an answer" }
}
