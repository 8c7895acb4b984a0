extension ParamsConfig {
    /// `protocols.g1`: the G1 sentences read over the serial link.
    public struct G1Protocol: Sendable, Equatable {
        /// `request_period`: seconds between requests of a sentence whose packet sets none.
        public let requestPeriod: Double
        /// `formats`: named sets of param attributes a param takes by naming one in `format`.
        public let formats: [G1Format]
        /// `packets`: one per sentence, in file order.
        public let packets: [G1Packet]

        public init(requestPeriod: Double = ParamsConfig.defaultRequestPeriod, formats: [G1Format] = [], packets: [G1Packet] = []) {
            self.requestPeriod = requestPeriod
            self.formats = formats
            self.packets = packets
        }
    }

    /// How a G1 field's text is read.
    public enum G1Encoding: String, Sendable, Equatable, CaseIterable {
        /// Hex digits, an unsigned number as wide as the field (4 bits per digit).
        case hex = "HEX"
        /// The manual's name for HEX (hex text read into a number): the same.
        case hexDec = "HEX_DEC"
        /// A decimal number, for example `2026` or `-12.5`.
        case dec = "DEC"
        /// The text as it is, for example a firmware version.
        case string = "STRING"
        /// Two hex digits per element, one element per cell: a list.
        case bytes = "BYTES"
    }

    /// One entry of `protocols.g1.formats`: attributes a param falls back to when it names
    /// the format and does not set them itself. Nil means "not set by this format".
    public struct G1Format: Sendable, Equatable {
        /// The format's name, its key.
        public let name: String
        /// `encoding`.
        public let encoding: G1Encoding?
        /// `big_end`.
        public let bigEndian: Bool?
        /// `signed`.
        public let signed: Bool?
        /// `offset`.
        public let offset: Double?
        /// `factor`.
        public let factor: Double?
        /// `decimals`.
        public let decimals: Int?
        /// `units`.
        public let units: String?
        /// `type`.
        public let type: ParamScaling.ValueType?

        public init(
            name: String, encoding: G1Encoding? = nil, bigEndian: Bool? = nil, signed: Bool? = nil, offset: Double? = nil,
            factor: Double? = nil, decimals: Int? = nil, units: String? = nil, type: ParamScaling.ValueType? = nil
        ) {
            self.name = name
            self.encoding = encoding
            self.bigEndian = bigEndian
            self.signed = signed
            self.offset = offset
            self.factor = factor
            self.decimals = decimals
            self.units = units
            self.type = type
        }
    }

    /// One entry of `protocols.g1.packets`: a sentence and its params.
    public struct G1Packet: Sendable, Equatable {
        /// The packet's key.
        public let name: String
        /// The sentence: `id` when given, else the key.
        public let sentence: String
        /// `request_period`: seconds between requests; nil takes the protocol's.
        public let requestPeriod: Double?
        /// `params`, in file order.
        public let params: [G1Param]

        public init(name: String, sentence: String? = nil, requestPeriod: Double? = nil, params: [G1Param] = []) {
            self.name = name
            self.sentence = sentence ?? name
            self.requestPeriod = requestPeriod
            self.params = params
        }
    }

    /// One param of a G1 packet: which field, how it reads, where it goes.
    public struct G1Param: Sendable, Equatable {
        /// The param's name, its key.
        public let name: String
        /// `field`: 1-based position after the sentence name.
        public let field: Int
        /// `encoding`, from the param, else its format, else HEX.
        public let encoding: G1Encoding
        /// `format`: the name of the format it falls back to.
        public let format: String?
        /// `bit`: when set, the value is this bit (0 = least significant) of the field's number, a flag.
        public let bit: Int?
        /// `index_field` (ours): for BYTES, the field holding the 1-based number of the list's
        /// first element in this sentence (BV2's "first cell of the group"), read as hex.
        public let indexField: Int?
        /// Scaling, from the param, else its format, else the manual's defaults.
        public let scaling: ParamScaling
        /// `route_to_mqtt`: the telemetry key; nil publishes nothing (routes may still).
        public let routeToMQTT: String?

        public init(
            name: String, field: Int = 1, encoding: G1Encoding = .hex, format: String? = nil, bit: Int? = nil, indexField: Int? = nil,
            scaling: ParamScaling = ParamScaling(), routeToMQTT: String? = nil
        ) {
            self.name = name
            self.field = field
            self.encoding = encoding
            self.format = format
            self.bit = bit
            self.indexField = indexField
            self.scaling = scaling
            self.routeToMQTT = routeToMQTT
        }
    }
}
