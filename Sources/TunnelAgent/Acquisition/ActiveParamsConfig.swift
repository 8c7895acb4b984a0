import AgentConfig
import NIOConcurrencyHelpers

/// The `params_config.json` in effect. A shared-attribute update replaces it; the acquisition
/// notices the new version at its next tick and decodes and polls by it from then on.
public final class ActiveParamsConfig: Sendable {
    private let state: NIOLockedValueBox<(version: Int, config: ParamsConfig)>

    public init(_ config: ParamsConfig) {
        state = NIOLockedValueBox((0, config))
    }

    /// The configuration and its version (0 for the one the agent started with).
    public var current: (version: Int, config: ParamsConfig) { state.withLockedValue { $0 } }

    public func replace(with config: ParamsConfig) {
        state.withLockedValue { $0 = ($0.version + 1, config) }
    }
}
