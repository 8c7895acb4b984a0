import Logging
import ServiceLifecycle
import UnixSignals

/// A listener whose TLS credentials can be read again while it runs.
protocol ReloadsCredentials: Sendable {
    func reloadCredentials() throws
}

extension RelayServer: ReloadsCredentials {}
extension AdminAPI: ReloadsCredentials {}

/// Reloads the relay's TLS credentials on SIGHUP, so a renewed server certificate
/// (`tunnel-relay init --renew-server-certificate`) takes effect without a restart: new
/// connections to the tunnel port and the admin API get it, connections already up are not touched.
struct CredentialReload: Service {
    let listeners: [any ReloadsCredentials]
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                for listener in listeners {
                    do {
                        try listener.reloadCredentials()
                    } catch {
                        logger.error("TLS credentials not reloaded; the previous ones stay in use", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }
}
