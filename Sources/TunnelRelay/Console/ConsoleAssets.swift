import Crypto
import Foundation

/// The console's stylesheet and script, compiled into the binary (`resources: .embedInCode`)
/// and served under a name that carries a hash of their content, so a browser may keep each
/// for a year and a new build is fetched at once.
struct ConsoleAssets: Sendable {
    /// One file as served.
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
    }

    /// By served name (`console.<hash>.css`).
    let byName: [String: Asset]
    /// The stylesheet's path, for the pages' `<link>`.
    let stylesheetPath: String
    /// The script's path, for the pages' `<script src>`.
    let scriptPath: String

    /// How long a browser may keep an asset: a year, as its name changes with its content.
    static let cacheControl = "public, max-age=31536000, immutable"

    init() {
        let css = Asset(bytes: PackageResources.console_css, contentType: "text/css; charset=utf-8")
        let js = Asset(bytes: PackageResources.console_js, contentType: "text/javascript; charset=utf-8")
        let cssName = Self.servedName("console", "css", css.bytes)
        let jsName = Self.servedName("console", "js", js.bytes)
        byName = [cssName: css, jsName: js]
        stylesheetPath = "/console/assets/\(cssName)"
        scriptPath = "/console/assets/\(jsName)"
    }

    /// `stem.<first 12 hex digits of the SHA-256>.ext`.
    static func servedName(_ stem: String, _ ext: String, _ bytes: [UInt8]) -> String {
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return "\(stem).\(digest.prefix(12)).\(ext)"
    }
}
