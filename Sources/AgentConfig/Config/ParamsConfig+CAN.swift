extension ParamsConfig {
    /// `protocols.can`: the CAN packets read from the bus.
    public struct CANProtocol: Sendable, Equatable {
        /// `request_period`: seconds between requests of a packet whose entry sets none.
        public let requestPeriod: Double
        /// `packets`, in file order.
        public let packets: [CANPacket]

        public init(requestPeriod: Double = ParamsConfig.defaultRequestPeriod, packets: [CANPacket] = []) {
            self.requestPeriod = requestPeriod
            self.packets = packets
        }
    }

    /// One entry of `protocols.can.packets`: an id (or a range of ids) and its params.
    public struct CANPacket: Sendable, Equatable {
        /// The packet's key.
        public let name: String
        /// `id`, or the key when it is an id.
        public let id: CANPacketID
        /// `dlc`: the data length a received frame must have; −1 accepts any.
        public let dlc: Int
        /// `range`: how many consecutive ids from `id` the packet covers (per-cell groups).
        public let range: Int
        /// `request_period`: seconds between requests (zero-length frames); nil takes the protocol's.
        public let requestPeriod: Double?
        /// `params`, in file order.
        public let params: [CANParam]

        public init(name: String, id: CANPacketID, dlc: Int = -1, range: Int = 1, requestPeriod: Double? = nil, params: [CANParam] = []) {
            self.name = name
            self.id = id
            self.dlc = dlc
            self.range = range
            self.requestPeriod = requestPeriod
            self.params = params
        }

        /// The position of a received id in this packet's range (0 for `id` itself), or nil
        /// when the packet does not cover it.
        public func group(of frameID: UInt32, extended: Bool) -> Int? {
            guard extended == id.extended, frameID >= id.value, UInt64(frameID) < UInt64(id.value) + UInt64(range) else { return nil }
            return Int(frameID - id.value)
        }
    }

    /// How a CAN param's bits are grouped.
    public enum CANPacking: String, Sendable, Equatable, CaseIterable {
        /// One value of `bits` bits at `start`.
        case single = "SINGLE"
        /// `pack_length` values of `bits` bits each, back to back from `start`: a list.
        case list = "LIST"
        /// One value made of `pack_length` words of `bits` bits each, least significant word
        /// first, each word read with `big_end`; words back to back from `start`, or at
        /// `word_starts`. Says how 0x19B50001 carries the total voltage.
        case words = "WORDS"
    }

    /// One param of a CAN packet (bit numbering in docs/CONFIGURATION.md).
    public struct CANParam: Sendable, Equatable {
        /// The param's name, its key.
        public let name: String
        /// `start`: the first bit. Little-endian: the least significant bit, bit n of byte k
        /// being 8k + n. Big-endian: the most significant bit, counting from D0's top bit (0).
        public let start: Int
        /// `bits`: width of the value (of each element or word for LIST and WORDS).
        public let bits: Int
        /// `packing`.
        public let packing: CANPacking
        /// `pack_length`: elements of a LIST, words of a WORDS value; 1 for SINGLE.
        public let packLength: Int
        /// `word_starts` (ours): for WORDS, the start of each word, least significant first,
        /// when the words are not back to back.
        public let wordStarts: [Int]?
        /// Scaling.
        public let scaling: ParamScaling
        /// `valid_top`: largest valid value; with `valid_bot` both 0, no check.
        public let validTop: Double
        /// `valid_bot`: smallest valid value.
        public let validBot: Double
        /// `send_invalid`: values outside valid_bot…valid_top are sent anyway.
        public let sendInvalid: Bool
        /// `route_to_mqtt`: the telemetry key; nil publishes nothing (routes may still).
        public let routeToMQTT: String?

        public init(
            name: String, start: Int = 0, bits: Int = 8, packing: CANPacking = .single, packLength: Int = 1, wordStarts: [Int]? = nil,
            scaling: ParamScaling = ParamScaling(), validTop: Double = 0, validBot: Double = 0, sendInvalid: Bool = false,
            routeToMQTT: String? = nil
        ) {
            self.name = name
            self.start = start
            self.bits = bits
            self.packing = packing
            self.packLength = packLength
            self.wordStarts = wordStarts
            self.scaling = scaling
            self.validTop = validTop
            self.validBot = validBot
            self.sendInvalid = sendInvalid
            self.routeToMQTT = routeToMQTT
        }

        /// True when a valid range is set (valid_bot and valid_top not both 0).
        public var hasValidRange: Bool { validTop != 0 || validBot != 0 }

        /// The starts of a WORDS value's words, least significant first.
        public var wordPositions: [Int] { wordStarts ?? (0..<packLength).map { start + $0 * bits } }

        /// The bit spans the param reads: (first bit, width).
        var spans: [(start: Int, width: Int)] {
            switch packing {
            case .single: [(start, bits)]
            case .list: [(start, bits * packLength)]
            case .words: wordPositions.map { ($0, bits) }
            }
        }
    }
}
