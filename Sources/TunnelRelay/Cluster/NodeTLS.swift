import NIOSSL
import TunnelPKI
import X509

/// The TLS of the links between relay nodes: mutual, under the server CA every node of a
/// cluster shares (`tunnel-relay init` made it; the nodes run from copies of one data folder).
///
/// Each node issues itself two certificates at start (see
/// `RelayCredentials.issueNodeCertificates`): a server certificate for its node listener and a
/// client certificate to dial the others with. A peer is a node when its certificate chains to
/// the server CA and is fit for its side (client authentication on the listener, server
/// authentication when dialling): device certificates (another CA) and the relay's public
/// server certificate (server authentication only) are refused on the listener. Names are not
/// checked: node addresses are often IP addresses, and holding the server CA is what makes a node.
struct NodeTLS: Sendable {
    /// For the node listener: requires a client certificate from the server CA.
    let listener: NIOSSLContext
    /// For dialling another node's listener: presents this node's client certificate.
    let dialer: NIOSSLContext

    init(credentials: RelayCredentials, nodeName: String) throws {
        let issued = try credentials.issueNodeCertificates(nodeName: nodeName)
        let serverCA = try PEMFiles.certificates(at: credentials.serverCAPath)
        var listener = TLSPolicy.server(
            chain: [try Self.nio(issued.server.0)], key: try Self.nio(issued.server.1), clientCA: serverCA)
        listener.certificateVerification = .noHostnameVerification
        var dialer = TLSPolicy.client(
            trustedCA: serverCA, chain: [try Self.nio(issued.client.0)], key: try Self.nio(issued.client.1))
        dialer.certificateVerification = .noHostnameVerification
        self.listener = try NIOSSLContext(configuration: listener)
        self.dialer = try NIOSSLContext(configuration: dialer)
    }

    private static func nio(_ certificate: Certificate) throws -> NIOSSLCertificate {
        try NIOSSLCertificate(bytes: try certificate.serializeAsPEM().derBytes, format: .der)
    }

    private static func nio(_ key: Certificate.PrivateKey) throws -> NIOSSLPrivateKey {
        try NIOSSLPrivateKey(bytes: Array(try key.serializeAsPEM().pemString.utf8), format: .pem)
    }
}
