import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import TunnelPKI

/// A caller of the relay's admin API (`tunnel-connect --device`, `tunnel-agent register`):
/// POSTs a JSON body over TLS 1.2+, trusting the relay's CA, and decodes the answer, or throws
/// the API's own message when it says no.
public struct AdminAPIClient: Sendable {
    /// The API's base, for example `https://relay.example.com:8443`.
    public let baseURL: String
    /// The CA the API's certificate must chain to; nil takes the system's.
    public let trustedCA: [NIOSSLCertificate]?
    /// Sent as `Authorization: Bearer`, for the routes that need a key.
    public let apiKey: String?

    /// Throws `AdminBaseURL.Refused` for a URL that is not https (or plain http to this machine).
    public init(baseURL: String, trustedCA: [NIOSSLCertificate]?, apiKey: String? = nil) throws {
        self.baseURL = try AdminBaseURL.checked(baseURL)
        self.trustedCA = trustedCA
        self.apiKey = apiKey
    }

    /// Why a call did not succeed: the API unreachable, or its answer and message.
    public struct Refused: Error, CustomStringConvertible {
        /// The HTTP status, nil when the API was not reached.
        public let status: Int?
        public let description: String
    }

    private struct Failure: Decodable {
        struct Detail: Decodable { let message: String }
        let error: Detail
    }

    /// POSTs `body` as JSON to `path`; the answer decoded when the status is `expecting`.
    public func post<Answer: Decodable>(
        _ path: String, json body: [String: Any], expecting: HTTPResponseStatus, as: Answer.Type = Answer.self,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Answer {
        var tls = TLSPolicy.client(trustedCA: trustedCA)
        tls.applicationProtocols = ["http/1.1"]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            let answer: Answer = try await post(path, body, expecting, timeout, on: client)
            try await client.shutdown()
            return answer
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func post<Answer: Decodable>(
        _ path: String, _ body: [String: Any], _ expecting: HTTPResponseStatus, _ timeout: TimeAmount, on client: HTTPClient
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw Refused(status: nil, description: "the relay's admin API at \(baseURL) could not be reached: \(error)")
        }
        let bytes = try await response.body.collect(upTo: 1 << 20)
        guard response.status == expecting else {
            let failure = try? JSONDecoder().decode(Failure.self, from: bytes)
            throw Refused(
                status: Int(response.status.code), description: "\(failure?.error.message ?? "no details") (HTTP \(response.status.code))")
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: bytes)
        } catch {
            throw Refused(
                status: Int(response.status.code), description: "the relay's admin API answered \(path) with an unexpected body: \(error)")
        }
    }
}
