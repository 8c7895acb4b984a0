import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL
import TunnelPlumbing

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

    /// The API's error body.
    struct Failure: Decodable {
        struct Detail: Decodable {
            let code: String
            let message: String
        }
        let error: Detail
    }

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    /// Opens the session; throws `Refused` with the API's message when it says no.
    func open(trustedCA: [NIOSSLCertificate]?) async throws -> Opened {
        var tls = TLSPolicy.client(trustedCA: trustedCA)
        tls.applicationProtocols = ["http/1.1"]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            let opened = try await post(client)
            try await client.shutdown()
            return opened
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func post(_ client: HTTPClient) async throws -> Opened {
        var request = HTTPClientRequest(url: adminURL.trimmingTrailingSlash + "/v1/sessions")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        request.headers.add(name: "Content-Type", value: "application/json")
        let body: [String: Any] = ["deviceId": deviceID, "mode": mode, "takeOver": takeOver]
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(20))
        } catch {
            throw Refused(description: "the admin API at \(adminURL) could not be reached: \(error)")
        }
        let bytes = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else {
            let failure = try? JSONDecoder().decode(Failure.self, from: bytes)
            throw Refused(description: "the admin API refused the session (\(response.status.code)): \(failure?.error.message ?? "no details")")
        }
        return try JSONDecoder().decode(Opened.self, from: bytes)
    }
}

extension String {
    fileprivate var trimmingTrailingSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}
