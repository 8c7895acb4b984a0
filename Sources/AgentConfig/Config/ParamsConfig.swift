/// The agent's `params_config.json` (seed manual 6.2): which G1 sentences and CAN packets to
/// request, how their params decode, and which telemetry keys they are published under.
/// Meanings the manual leaves open are decided in docs/CONFIGURATION.md and docs/DECISIONS.md.
/// Reading lives in `ParamsConfig+Reading.swift`, files in `ParamsConfig+Loading.swift`.
public struct ParamsConfig: Sendable, Equatable {
    /// `comment`: what this configuration is for.
    public let comment: String
    /// `protocols`: the protocols the BMS is read over.
    public let protocols: Protocols
    /// `routes`: extra ways from a protocol param to a destination key.
    public let routes: [Route]

    public init(comment: String = "", protocols: Protocols = Protocols(), routes: [Route] = []) {
        self.comment = comment
        self.protocols = protocols
        self.routes = routes
    }

    /// `protocols`. A `mqtt` member is accepted and defines nothing in this build.
    public struct Protocols: Sendable, Equatable {
        /// `g1`: the serial sentences; nil when absent.
        public let g1: G1Protocol?
        /// `can`: the CAN packets; nil when absent.
        public let can: CANProtocol?

        public init(g1: G1Protocol? = nil, can: CANProtocol? = nil) {
            self.g1 = g1
            self.can = can
        }
    }

    /// The manual's default `request_period`, seconds.
    public static let defaultRequestPeriod = 0.5
}
