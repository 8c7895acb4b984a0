/// A push that was rolled back: reported to the portal once the broker is reachable, and the
/// same file refused while the record stands (ThingsBoard still holds it and sends it again at
/// every connect). A different push of the file, or its withdrawal, ends the record.
struct ConfigRollback: Sendable, Equatable, Codable {
    /// The file, `settings.json` or `params_config.json`.
    var file: String
    /// SHA-256 (hex) of the file that was rolled back.
    var hash: String
    /// Why.
    var reason: String
    /// True once the portal was told.
    var reported = false
}
