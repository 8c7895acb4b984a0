import Foundation

// The JSON the agent sends to the portal, other than telemetry, as Codable types (ThingsBoard's
// device API: client attributes, attribute requests, provisioning, RPC answers). Telemetry
// records stay pre-encoded text: they are encoded once when decoded and kept so in the queue.

/// The client attributes published at every connect, then the BMS's text values (STRING
/// params) under their telemetry keys, always JSON strings; a text key that is also one of
/// the fixed ones is sent once, with the fixed value.
struct ClientAttributes: Encodable {
    let agentVersion: String
    let configHash: String
    let firmwareVersion: String?
    let serialNumber: String?
    let hardwareType: String?
    var texts: [String: String] = [:]

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let fixed: [(String, String?)] = [
            ("agentVersion", agentVersion), ("configHash", configHash), ("firmwareVersion", firmwareVersion),
            ("serialNumber", serialNumber), ("hardwareType", hardwareType),
        ]
        for (key, value) in fixed {
            if let value { try container.encode(value, forKey: Key(stringValue: key)) }
        }
        let fixedKeys = Set(fixed.map(\.0))
        for (key, value) in texts.sorted(by: { $0.key < $1.key }) where !fixedKeys.contains(key) {
            try container.encode(value, forKey: Key(stringValue: key))
        }
    }
}

/// A request for shared attributes: their keys, comma-separated.
struct SharedAttributesRequest: Encodable {
    let sharedKeys: String
}

/// A device provisioning request (ThingsBoard's `/provision` topic).
struct ProvisionRequest: Encodable {
    let deviceName: String
    let provisionDeviceKey: String
    let provisionDeviceSecret: String
}

/// The access token provisioning gave, as the agent keeps it in its state folder.
struct StoredCredentials: Encodable {
    let credentialsType = "ACCESS_TOKEN"
    let credentialsValue: String
}

/// The `configStatus` client attribute: what became of a pushed file.
struct ConfigStatusAttribute: Encodable {
    struct Status: Encodable {
        let file: String
        let accepted: Bool
        var withdrawn: Bool?
        var rolledBack: Bool?
        var reason: String?
        var problems: [String]?
        var configHash: String?
    }

    let configStatus: Status
}

/// The answer to the `agent.status` RPC.
struct AgentStatus: Encodable {
    struct Queue: Encodable {
        let records: Int
        let bytes: Int
        let dropped: Int64
    }

    struct CertificateFacts: Encodable {
        let serial: String
        let notAfter: String
    }

    let agentVersion: String
    let uptimeSeconds: Int
    let relayConnected: Bool
    let serialOpen: Bool
    let sessions: Int
    let tunnelMode: String
    let queue: Queue
    let configHash: String
    let bmsFirmware: String?
    let bmsSerialNumber: String?
    let certificate: CertificateFacts?
}

/// An RPC answer that says why the request was not carried out.
struct RPCErrorAnswer: Encodable {
    struct Body: Encodable {
        let code: String
        let message: String
    }

    let error: Body
}

/// A client-side RPC request, e.g. `{"method":"getSessionLimits","params":{}}`.
struct ClientRPCRequest: Encodable {
    struct NoParams: Encodable {}

    let method: String
    let params = NoParams()
}
