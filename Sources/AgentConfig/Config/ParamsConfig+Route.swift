extension ParamsConfig {
    /// One entry of `routes`: a param of one protocol sent on as a param of another. This
    /// build acts on routes from `g1` or `can` to `mqtt` (a telemetry key).
    public struct Route: Sendable, Equatable {
        /// `from`.
        public let from: Source
        /// `to`.
        public let to: Destination

        public init(from: Source, to: Destination) {
            self.from = from
            self.to = to
        }

        /// `from`: `prot` and, for g1, the `sentence`; for can, the packet `id`; and the `param`.
        public struct Source: Sendable, Equatable {
            /// `prot`: "g1", "can" or "mqtt".
            public let prot: String
            /// `sentence`: the G1 sentence (g1 routes).
            public let sentence: String?
            /// `id`: the CAN packet's id as written in its entry (can routes).
            public let id: String?
            /// `param`: the param's name in that packet.
            public let param: String

            public init(prot: String, sentence: String? = nil, id: String? = nil, param: String) {
                self.prot = prot
                self.sentence = sentence
                self.id = id
                self.param = param
            }
        }

        /// `to`: `prot` and `param`, for mqtt the telemetry key.
        public struct Destination: Sendable, Equatable {
            /// `prot`: "mqtt" (g1 and can destinations are accepted and not acted on).
            public let prot: String
            /// `param`: for mqtt, the telemetry key.
            public let param: String

            public init(prot: String, param: String) {
                self.prot = prot
                self.param = param
            }
        }

        /// The protocols a route may name.
        static let protocols = ["g1", "can", "mqtt"]
    }
}
