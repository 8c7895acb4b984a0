import Foundation
import Hummingbird
import NIOCore

/// Per-request state of the admin API: who is calling, from where.
public struct AdminRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's IP address (behind a balancer, the one its PROXY protocol header named),
    /// for the authentication-failure limit and the audit log.
    public let source: String
    /// The user the request's API key acts as, once authenticated.
    public var user: UserRecord?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        self.source = source.channel.clientSource
    }

    /// Largest request body taken; anything the API accepts is far smaller.
    public var maxUploadSize: Int { AdminAPI.maxBodySize }

    public var requestDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The authenticated user; the authenticator guarantees one on every `/v1` route.
    func caller() throws -> UserRecord {
        guard let user else { throw AdminError(.unauthorized, "unauthenticated", "an API key is required: Authorization: Bearer ak1.…") }
        return user
    }

    /// The caller, who must be an administrator.
    func administrator() throws -> UserRecord {
        let user = try caller()
        guard user.role == .admin else {
            throw AdminError(.forbidden, "forbidden", "user \(user.id) has role \(user.role); this needs admin")
        }
        return user
    }
}
