import NIOSSL

/// Loads PEM certificates and keys, naming the file when one is missing or unreadable.
public enum PEMFiles {
    public struct LoadError: Error, CustomStringConvertible {
        public let path: String
        public let what: String
        public let underlying: String
        public var description: String { "cannot load \(what) from \(path): \(underlying)" }

        public init(path: String, what: String, underlying: String) {
            self.path = path
            self.what = what
            self.underlying = underlying
        }
    }

    public static func certificates(at path: String) throws -> [NIOSSLCertificate] {
        do {
            let certs = try NIOSSLCertificate.fromPEMFile(path)
            guard !certs.isEmpty else { throw LoadError(path: path, what: "certificates", underlying: "no certificate in file") }
            return certs
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError(path: path, what: "certificates", underlying: "\(error)")
        }
    }

    public static func privateKey(at path: String) throws -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(file: path, format: .pem)
        } catch {
            throw LoadError(path: path, what: "a private key", underlying: "\(error)")
        }
    }
}
