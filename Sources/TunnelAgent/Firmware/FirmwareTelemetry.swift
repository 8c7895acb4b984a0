/// What the agent reports of its firmware, as ThingsBoard's firmware dashboard reads it: telemetry
/// `current_fw_title`, `current_fw_version`, `fw_state` and, with FAILED, `fw_error`.
struct FirmwareTelemetry: Encodable, Equatable {
    var currentTitle: String?
    var currentVersion: String?
    var state: String?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case currentTitle = "current_fw_title"
        case currentVersion = "current_fw_version"
        case state = "fw_state"
        case error = "fw_error"
    }

    /// The keys it carries: its data points, as ThingsBoard's rate limits count them.
    var dataPoints: Int { [currentTitle, currentVersion, state, error].count { $0 != nil } }

    static func state(_ state: String, error: String? = nil) -> FirmwareTelemetry {
        FirmwareTelemetry(state: state, error: error)
    }
}

/// ThingsBoard's firmware topics.
enum FirmwareTopic {
    static let responses = "v2/fw/response/+/chunk/+"
    static let errors = "v2/fw/error"
    static let responsePrefix = "v2/fw/response/"

    static func request(_ requestID: Int, chunk: Int) -> String { "v2/fw/request/\(requestID)/chunk/\(chunk)" }

    /// The request ID and chunk number of a response topic; nil for any other topic.
    static func response(_ topic: String) -> (requestID: Int, chunk: Int)? {
        guard topic.hasPrefix(responsePrefix) else { return nil }
        let parts = topic.dropFirst(responsePrefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "chunk", parts[0].count <= 9, parts[2].count <= 9,
            let requestID = Int(parts[0]), let chunk = Int(parts[2]), requestID >= 0, chunk >= 0
        else { return nil }
        return (requestID, chunk)
    }
}
