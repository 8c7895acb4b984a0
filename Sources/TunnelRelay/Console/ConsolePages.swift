import Foundation
import Mustache

/// The console's HTML: Mustache templates compiled into the binary, rendered on the server.
/// Mustache escapes every `{{value}}` for HTML, so a device or user name is shown as text;
/// no template uses the unescaped `{{{…}}}` form.
struct ConsolePages: Sendable {
    let library: MustacheLibrary
    let assets: ConsoleAssets

    /// The templates by name, as embedded from `Console/Templates`.
    static let templates: [(name: String, text: [UInt8])] = [
        ("header", PackageResources.header_mustache), ("footer", PackageResources.footer_mustache),
        ("signin", PackageResources.signin_mustache), ("message", PackageResources.message_mustache),
        ("fleet", PackageResources.fleet_mustache), ("device", PackageResources.device_mustache),
        ("sessions", PackageResources.sessions_mustache), ("sessiontable", PackageResources.sessiontable_mustache),
        ("session", PackageResources.session_mustache), ("audit", PackageResources.audit_mustache),
        ("connect", PackageResources.connect_mustache), ("watch", PackageResources.watch_mustache),
        ("replay", PackageResources.replay_mustache), ("admin", PackageResources.admin_mustache),
        ("user", PackageResources.user_mustache), ("shownonce", PackageResources.shownonce_mustache),
        ("account", PackageResources.account_mustache),
    ]

    /// A template that does not parse is a build mistake, reported with its name.
    struct TemplateError: Error, CustomStringConvertible {
        let name: String
        let underlying: any Error
        var description: String { "console template \(name).mustache does not parse: \(underlying)" }
    }

    init(assets: ConsoleAssets = ConsoleAssets()) throws {
        var library = MustacheLibrary()
        for template in Self.templates {
            do {
                try library.register(String(decoding: template.text, as: UTF8.self), named: template.name)
            } catch {
                throw TemplateError(name: template.name, underlying: error)
            }
        }
        self.library = library
        self.assets = assets
    }

    /// `template` rendered with `values`, plus what every page needs (the asset paths).
    func render(_ template: String, _ values: [String: Any]) -> String {
        var values = values
        values["assets"] = ["css": assets.stylesheetPath, "js": assets.scriptPath]
        return library.render(values, withTemplate: template) ?? ""
    }
}
