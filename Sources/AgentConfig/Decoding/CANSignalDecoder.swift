/// Decodes one CAN param from a frame's data.
enum CANSignalDecoder {
    /// The param's value from a frame that is `group` ids into its packet's range, or nil
    /// when the data is too short or the value is invalid and not to be sent.
    static func decode(_ param: ParamsConfig.CANParam, data: [UInt8], group: Int) -> TelemetryValue.Value? {
        let scaling = param.scaling
        switch param.packing {
        case .single:
            guard let raw = CANBitField.read(data, start: param.start, bits: param.bits, bigEndian: scaling.bigEndian) else { return nil }
            return checked(scaling.scaled(scaling.number(raw: raw, width: param.bits)), param).map(scaling.value)
        case .words:
            var raw: UInt64 = 0
            for (index, start) in param.wordPositions.enumerated() {
                guard let word = CANBitField.read(data, start: start, bits: param.bits, bigEndian: scaling.bigEndian) else { return nil }
                raw |= word << UInt64(index * param.bits)
            }
            return checked(scaling.scaled(scaling.number(raw: raw, width: param.bits * param.wordPositions.count)), param).map(
                scaling.value)
        case .list:
            var elements: [Double?] = []
            for index in 0..<param.packLength {
                let start = param.start + index * param.bits
                guard let raw = CANBitField.read(data, start: start, bits: param.bits, bigEndian: scaling.bigEndian) else { break }
                elements.append(checked(scaling.scaled(scaling.number(raw: raw, width: param.bits)), param))
            }
            guard !elements.isEmpty else { return nil }
            return .list(first: group * param.packLength, elements: elements)
        }
    }

    /// The value, or nil when it is outside valid_bot…valid_top and send_invalid is false.
    private static func checked(_ value: Double, _ param: ParamsConfig.CANParam) -> Double? {
        let outside = value < param.validBot || value > param.validTop
        return param.hasValidRange && outside && !param.sendInvalid ? nil : value
    }
}
