import NIOCore
import NIOSSL

/// The TLS rules every tunnel connection follows.
///
/// TLS 1.2 is the minimum, set explicitly (NIOSSL's default would allow 1.0). AEAD suites and
/// TLS 1.3 are preferred; `ECDHE-RSA-AES256-SHA` stays available for old peers of the vendor's
/// hardware generation when the server offers an RSA certificate.
public enum TLSPolicy {
    /// TLS 1.2 cipher suites in order of preference. TLS 1.3 suites are always on.
    public static let tls12CipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    ]

    /// A server configuration: the relay's certificate, TLS 1.2 minimum, and client
    /// certificates verified against `clientCA` when a peer presents one (agents do; Control
    /// Panel clients authenticate with a session token instead).
    /// How long a closing connection waits for the peer's close_notify. NIOSSL's default is
    /// 5 s, which a dead peer (the case keepalive exists for) never sends: each end of the
    /// tunnel noticed a silent peer 5 s after its timeout.
    public static let closeNotifyWait = TimeAmount.milliseconds(500)

    public static func server(
        chain: [NIOSSLCertificate], key: NIOSSLPrivateKey, clientCA: [NIOSSLCertificate]
    ) -> TLSConfiguration {
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        config.minimumTLSVersion = .tlsv12
        config.cipherSuiteValues = tls12CipherSuites
        config.shutdownTimeout = closeNotifyWait
        config.trustRoots = .certificates(clientCA)
        config.certificateVerification = .optionalVerification
        return config
    }

    /// An HTTPS server configuration (the admin API): the relay's certificate, TLS 1.2
    /// minimum, the same suites; callers authenticate with API keys, not certificates.
    public static func httpsServer(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> TLSConfiguration {
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        config.minimumTLSVersion = .tlsv12
        config.cipherSuiteValues = tls12CipherSuites
        config.applicationProtocols = ["http/1.1"]
        return config
    }

    /// A client configuration trusting `trustedCA` (or the system roots when `nil`), with an
    /// optional client certificate for mutual TLS.
    public static func client(
        trustedCA: [NIOSSLCertificate]?, chain: [NIOSSLCertificate] = [], key: NIOSSLPrivateKey? = nil
    ) -> TLSConfiguration {
        var config = TLSConfiguration.makeClientConfiguration()
        config.minimumTLSVersion = .tlsv12
        config.cipherSuiteValues = tls12CipherSuites
        config.shutdownTimeout = closeNotifyWait
        if let trustedCA { config.trustRoots = .certificates(trustedCA) }
        config.certificateVerification = .fullVerification
        if let key {
            config.certificateChain = chain.map { .certificate($0) }
            config.privateKey = .privateKey(key)
        }
        return config
    }
}
