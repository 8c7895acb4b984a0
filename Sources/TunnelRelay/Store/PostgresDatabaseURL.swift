import Foundation
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL store lives, from a libpq-style URL:
/// `postgres://user[:password]@host[:port]/database[?sslmode=…&sslrootcert=…]`.
///
/// `sslmode` follows libpq: `disable`; `prefer` (the default: TLS when the server offers it,
/// certificate not checked); `require` (TLS, certificate not checked); `verify-full` (TLS, the
/// certificate must chain to `sslrootcert`, or the system's roots, and name the host). TLS is
/// 1.2 or newer whenever it is used. A `host` parameter starting with `/` names the folder of
/// a Unix socket instead (`postgres:///relay?host=/var/run/postgresql`).
public struct PostgresDatabaseURL: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    /// Folder of the server's Unix socket; used instead of `host` and `port` when set.
    public let socketDirectory: String?
    public let username: String
    public let password: String?
    public let database: String
    public let sslMode: SSLMode
    /// CA certificate file for `verify-full`.
    public let rootCertificatePath: String?

    public enum SSLMode: String, Sendable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public init(parsing text: String) throws {
        let expected = "expected postgres://user[:password]@host[:port]/database"
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else { throw StoreError.invalid("the database URL is not a postgres:// or postgresql:// URL; \(expected)") }
        let parameters = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        socketDirectory = parameters["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? parameters["host"] ?? "localhost"
        port = components.port ?? 5432
        username = components.user?.removingPercentEncoding ?? parameters["user"] ?? "postgres"
        password = components.password?.removingPercentEncoding ?? parameters["password"]
        let path = String(components.path.drop(while: { $0 == "/" }))
        database = path.isEmpty ? username : (path.removingPercentEncoding ?? path)
        guard let mode = SSLMode(rawValue: parameters["sslmode"] ?? "prefer") else {
            throw StoreError.invalid(
                "database URL sslmode \"\(parameters["sslmode"] ?? "")\" is not one of disable, prefer, require, verify-full")
        }
        sslMode = mode
        rootCertificatePath = parameters["sslrootcert"]
    }

    /// The URL with its password hidden, for logs and errors.
    public var description: String {
        let credentials = username + (password == nil ? "" : ":***")
        let location = socketDirectory.map { "/\(database)?host=\($0)" } ?? "\(host):\(port)/\(database)"
        return "postgres://\(credentials)@\(location)"
    }

    /// A pool configuration for postgres-nio.
    func clientConfiguration() -> PostgresClient.Configuration {
        if let socketPath {
            return PostgresClient.Configuration(
                unixSocketPath: socketPath, username: username, password: password, database: database)
        }
        let tls: PostgresClient.Configuration.TLS =
            switch sslMode {
            case .disable: .disable
            case .prefer: .prefer(tlsConfiguration)
            case .require, .verifyFull: .require(tlsConfiguration)
            }
        return PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    /// A single-connection configuration, for checking that the database answers.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if let socketPath {
            return PostgresConnection.Configuration(
                unixSocketPath: socketPath, username: username, password: password, database: database)
        }
        let tls: PostgresConnection.Configuration.TLS =
            switch sslMode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration))
            case .require, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration))
            }
        return PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    private var socketPath: String? { socketDirectory.map { $0 + "/.s.PGSQL.\(port)" } }

    /// TLS 1.2 or newer; the certificate is checked only for `verify-full`, as in libpq.
    private var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if sslMode != .verifyFull {
            configuration.certificateVerification = .none
        } else if let rootCertificatePath {
            configuration.trustRoots = .file(rootCertificatePath)
        }
        return configuration
    }
}
