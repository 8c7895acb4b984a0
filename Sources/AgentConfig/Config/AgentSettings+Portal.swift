extension AgentSettings {
    /// `portal` (ours, local-only): how the agent treats configuration pushed through the
    /// portal's shared attributes. Only the gateway's own settings.json sets it.
    public struct Portal: Sendable, Equatable {
        /// `rollback_grace`'s default, seconds.
        public static let defaultRollbackGrace = 120.0
        /// The values `rollback_grace` may take, seconds.
        public static let rollbackGraceRange = 5.0...86_400.0

        /// `rollback_grace`: seconds an accepted push has to reach the broker (and the BMS, when
        /// it was answering) before it is rolled back to the last configuration that worked.
        public let rollbackGrace: Double

        public init(rollbackGrace: Double = Portal.defaultRollbackGrace) {
            self.rollbackGrace = rollbackGrace
        }
    }

    /// The grace a pushed configuration gets: `portal.rollback_grace`, or its default.
    public var rollbackGrace: Double { portal?.rollbackGrace ?? Portal.defaultRollbackGrace }
}
