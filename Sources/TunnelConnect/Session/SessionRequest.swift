import AdminClient
import NIOSSL

/// Asks the relay's admin API for a session (`POST /v1/sessions`) with the engineer's API
/// key, so `tunnel-connect --device <id>` needs no token copied by hand.
struct SessionRequest {
    /// The admin API, for example `https://relay.example.com:8443`.
    let adminURL: String
    let apiKey: String
    let deviceID: String
    let mode: String
    let takeOver: Bool

    /// What the API answered.
    struct Opened: Decodable {
        let id: String
        let deviceId: String
        let mode: String
        let url: String
    }

    /// Opens the session; throws `AdminAPIClient.Refused` with the API's message when it says no.
    func open(trustedCA: [NIOSSLCertificate]?) async throws -> Opened {
        let api = try AdminAPIClient(baseURL: adminURL, trustedCA: trustedCA, apiKey: apiKey)
        return try await api.post(
            "/v1/sessions", json: ["deviceId": deviceID, "mode": mode, "takeOver": takeOver], expecting: .created, timeout: .seconds(20))
    }
}
