import AgentConfig
import Foundation

/// How the agent signs in to the broker, and where that came from.
public struct MQTTCredentials: Sendable, Equatable {
    public let username: String?
    public let password: String?
    /// For logs: "provisioned", "access_token", "username" or "none".
    public let source: String

    /// The credentials `settings` names, or those stored by provisioning at `storedPath`
    /// (they win: the portal issued them for this device).
    static func resolve(_ settings: AgentSettings.MQTT, storedPath: String) throws -> MQTTCredentials? {
        if let stored = try load(storedPath) { return stored }
        if !settings.accessToken.isEmpty { return MQTTCredentials(username: settings.accessToken, password: nil, source: "access_token") }
        if !settings.username.isEmpty {
            return MQTTCredentials(
                username: settings.username, password: settings.password.isEmpty ? nil : settings.password, source: "username")
        }
        if settings.provision != nil { return nil }  // provisioning must run first
        return MQTTCredentials(username: nil, password: nil, source: "none")
    }

    /// Credentials stored by provisioning: `{"credentialsType":"ACCESS_TOKEN","credentialsValue":"…"}`.
    static func load(_ path: String) throws -> MQTTCredentials? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let json = try JSONParser.parse(Array(data))
        guard json["credentialsType"]?.stringValue == "ACCESS_TOKEN", let token = json["credentialsValue"]?.stringValue, !token.isEmpty
        else {
            throw ProvisioningError(message: "\(path) holds no ACCESS_TOKEN credentials; remove it to provision again")
        }
        return MQTTCredentials(username: token, password: nil, source: "provisioned")
    }

    /// Stores an access token from provisioning, durably, before it is used.
    static func store(token: String, at path: String) throws {
        let text = UplinkJSON.text(StoredCredentials(credentialsValue: token)) + "\n"
        try DurableFile.write(Array(text.utf8), to: path)
    }
}

/// Provisioning failed in a way only an operator can fix.
public struct ProvisioningError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
