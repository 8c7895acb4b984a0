extension G1Reading {
    /// A short human description, for transcripts and logs.
    public var summary: String {
        func number(_ value: Double?, _ unit: String, decimals: Int = 2) -> String {
            value.map { String(format: "%.\(decimals)f", $0) + (unit.isEmpty ? "" : " " + unit) } ?? "—"
        }
        switch self {
        case .currentAndVoltage(let r): return "CV1 pack \(number(r.totalVoltage, "V")), \(number(r.current, "A", decimals: 1))"
        case .cellVoltages(let r):
            guard r.cellsReachable else { return "BV1 cells unreachable" }
            return "BV1 \(r.cellCount ?? 0) cells, min \(number(r.minimum, "V")), max \(number(r.maximum, "V"))"
        case .temperatures(let r):
            return
                "\(r.source == .cellModules ? "BT1" : "BT3") min \(number(r.minimum, "°C", decimals: 0)), max \(number(r.maximum, "°C", decimals: 0))"
        case .balancing(let r): return "BB1 balancing average \(number(r.average, "%", decimals: 0))"
        case .cellGroup(let r):
            return
                "cells \(r.firstCell)–\(r.firstCell + r.values.count - 1): \(r.values.map { String(format: "%.2f", $0) }.joined(separator: " "))"
        case .charge(let r): return "BC1 SOC \(number(r.stateOfCharge, "%"))"
        case .status(let r):
            return "ST1 stage \(r.stage.map { "\($0)" } ?? String(r.stageNumber)), protection 0x\(String(r.protection.rawValue, radix: 16))"
        case .clock(let r): return "TD1 \(r.year)-\(r.month)-\(r.day) \(r.hour):\(r.minute):\(r.second), up \(r.uptime) s"
        case .version(let r): return "VR1 \(r.hardware) #\(r.serialNumber) firmware \(r.firmware)"
        case .distanceAndEnergy(let r): return "DT1 speed \(number(r.speed, "", decimals: 1))"
        case .charger(let r): return "CS1 \(r.connectedChargers) charger(s), set \(number(r.setVoltage, "V", decimals: 1))"
        case .canDevices(let r): return "CG1 \(r.cellGroups.count) CAN cell group(s)"
        case .parameter(let r): return r.value.map { "CF2 parameter \(r.id) = \($0)" } ?? "CF2 read parameter \(r.id)"
        case .request(let s): return "\(s.name) request"
        case .other(let s): return "\(s.name) (\(G1Catalogue.effect(of: s) == .changesState ? "changes state" : "no decoder"))"
        }
    }
}
