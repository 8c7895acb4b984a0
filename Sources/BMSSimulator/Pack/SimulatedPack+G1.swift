import SharedWire

extension SimulatedPack {
    /// The answer to a read request, one or more sentences; `nil` for names it does not serve.
    public func answer(_ name: String) -> [G1Sentence]? {
        switch name {
        case "CV1": [cv1]
        case "BV1": [bv1]
        case "BV2": groups(name: "BV2", bytes: cellVoltages.map(Self.voltageByte))
        case "BT1", "BT3": [temperatureSummary(name)]
        case "BT2", "BT4": groups(name: name, bytes: temperatures.map(Self.temperatureByte))
        case "BC1": [bc1]
        case "ST1": [st1]
        case "VR1": [G1Sentence(name: "VR1", fields: ["G1CU", "SIM00001", "2.4.1"])]
        case "TD1": [td1]
        default: nil
        }
    }

    /// The sentences the BMS sends without being asked.
    public var broadcasts: [G1Sentence] { [cv1, bv1, bc1, temperatureSummary("BT1")] }

    var cv1: G1Sentence {
        G1Sentence(name: "CV1", fields: [
            Self.hex(Int(totalVoltage * 100), width: 8),
            Self.hex(Int(current * 10) & 0xFFFF, width: 4),
        ] + Array(repeating: "", count: 8))
    }

    var bv1: G1Sentence {
        let bytes = cellVoltages.map(Self.voltageByte)
        return G1Sentence(name: "BV1", fields: [
            Self.hex(cellCount, width: 2), Self.hex(Int(bytes.min() ?? 0), width: 2),
            Self.hex(Int(bytes.max() ?? 0), width: 2), Self.hex(Int(bytes.map(Int.init).reduce(0, +) / max(1, bytes.count)), width: 2),
            Self.hex(Int(totalVoltage * 100), width: 8), "",
        ])
    }

    var bc1: G1Sentence {
        let capacityCoulombs = Int(capacityAh * 3600)
        return G1Sentence(name: "BC1", fields: [
            Self.hex(Int(Double(capacityCoulombs) * stateOfCharge), width: 8),
            Self.hex(capacityCoulombs, width: 8), Self.hex(Int(stateOfCharge * 10_000), width: 4),
        ])
    }

    var st1: G1Sentence {
        let stage = current > 0 ? 3 : 0
        return G1Sentence(name: "ST1", fields: [
            Self.hex(stage, width: 2), "00", "00", Self.hex(Int(uptime) & 0xFFFF, width: 4), "17", "0000", "00", "00",
        ])
    }

    var td1: G1Sentence {
        G1Sentence(name: "TD1", fields: ["2026", "11", "26", "12", "00", "00", Self.hex(Int(uptime), width: 8)])
    }

    func temperatureSummary(_ name: String) -> G1Sentence {
        let bytes = temperatures.map(Self.temperatureByte)
        return G1Sentence(name: name, fields: [
            Self.hex(bytes.count, width: 2), Self.hex(Int(bytes.min() ?? 0), width: 2),
            Self.hex(Int(bytes.max() ?? 0), width: 2), Self.hex(Int(bytes.map(Int.init).reduce(0, +) / max(1, bytes.count)), width: 2), "",
        ])
    }

    /// Per-cell detail: one sentence per group of up to 8 cells.
    func groups(name: String, bytes: [UInt8]) -> [G1Sentence] {
        stride(from: 0, to: bytes.count, by: 8).map { first in
            let group = bytes[first..<min(first + 8, bytes.count)]
            return G1Sentence(name: name, fields: [
                "00", Self.hex(first + 1, width: 4), Self.hex(group.count, width: 1),
                group.map { Self.hex(Int($0), width: 2) }.joined(),
            ])
        }
    }

    static func voltageByte(_ volts: Double) -> UInt8 { UInt8(clamping: Int((volts * 100).rounded()) - 200) }
    static func temperatureByte(_ celsius: Double) -> UInt8 { UInt8(clamping: Int(celsius.rounded()) + 100) }

    static func hex(_ value: Int, width: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
