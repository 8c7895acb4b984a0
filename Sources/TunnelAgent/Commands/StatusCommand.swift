import ArgumentParser
import Foundation

/// `tunnel-agent status`: what a technician checks on the gateway itself: whether an agent runs
/// on this state folder, which version runs (the package's, or one installed over the air),
/// and the admin page certificate's fingerprint to compare with the browser's.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say whether the agent runs and which version, and show the admin page certificate's fingerprint.")

    @OptionGroup var files: AgentFileOptions

    func run() async throws {
        let paths = files.paths
        if let pid = AgentLock.holder(path: AgentLock.path(stateDirectory: paths.stateDirectory)), kill(pid, 0) == 0 {
            print("agent: running (pid \(pid)) on \(paths.stateDirectory)")
        } else {
            print("agent: not running on \(paths.stateDirectory)")
        }
        print(FirmwareSlots(stateDirectory: paths.stateDirectory).summary)
        let certificatePath = AdminPageCertificate.path(stateDirectory: paths.stateDirectory)
        if let certificate = try? AdminPageCertificate.load(path: certificatePath) {
            print("admin page certificate SHA-256: \(certificate.fingerprint)")
        } else {
            print("admin page certificate: none yet (made at the first start with wifi.admin_page enabled)")
        }
    }
}
