import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the relay's TLS credentials on SIGHUP, so a renewed server certificate
/// (`tunnel-relay init --renew-server-certificate`) takes effect without a restart: new
/// connections get it, connections already up are not touched.
struct CredentialReload: Service {
    let relay: RelayServer
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    try relay.reloadCredentials()
                } catch {
                    logger.error("TLS credentials not reloaded; the previous ones stay in use", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
