import Foundation
import SharedWire

/// The answers to read requests, field by field as the reference describes them. Widths of
/// fields the reference leaves open are the simulator's choice (see docs/SIMULATOR.md).
extension SimulatedBMS {
    /// The lines that answer `NAME,?`; nil for a name that is not a reading sentence.
    public func reading(_ name: String) -> [G1Sentence]? {
        switch name {
        case "CV1": [sentence(name, cv1Fields)]
        case "BV1": [sentence(name, [cellCountField] + G1Field.summary(pack.cellVoltages, G1Field.voltageByte) + [totalVoltageField, ""])]
        case "BT1": [sentence(name, [cellCountField] + G1Field.summary(pack.temperatures, G1Field.temperatureByte) + [""])]
        case "BT3": [sentence(name, [cellCountField] + G1Field.summary(pack.cellTemperatures, G1Field.temperatureByte) + [""])]
        case "BB1":
            [
                sentence(
                    name,
                    [cellCountField] + G1Field.summary(pack.balancingRates, G1Field.rateByte)
                        + ["", G1Field.hex(Int(G1Field.voltageByte(pack.limits.balancingThreshold)), width: 2)])
            ]
        case "BV2": cellGroups(name, pack.cellVoltages.map(G1Field.voltageByte))
        case "BT2": cellGroups(name, pack.temperatures.map(G1Field.temperatureByte))
        case "BT4": cellGroups(name, pack.cellTemperatures.map(G1Field.temperatureByte))
        case "BB2": cellGroups(name, pack.balancingRates.map(G1Field.rateByte))
        case "BC1": [sentence(name, bc1Fields)]
        case "ST1": [sentence(name, st1Fields)]
        case "CS1": [sentence(name, cs1Fields)]
        case "CG1": [sentence(name, cg1Fields)]
        case "DT1": [sentence(name, dt1Fields)]
        case "IN1": [sentence(name, [G1Field.hex(Int(pack.pins.inputs), width: 2)])]
        case "OT1": [sentence(name, [G1Field.hex(Int(pack.pins.outputs), width: 2)])]
        case "VR1": [sentence(name, [identity.hardware, identity.serialNumber, identity.firmware])]
        case "TD1": [sentence(name, td1Fields)]
        case "SS1": statistics.fieldLines().map { sentence(name, $0) }
        case "LG1": eventLog.fieldLines().map { sentence(name, $0) }
        case "RS2": resetHistory.fieldLines().map { sentence(name, $0) }
        default: nil
        }
    }

    private func sentence(_ name: String, _ fields: [String]) -> G1Sentence {
        G1Sentence(name: name, fields: fields)
    }

    private var cellCountField: String { G1Field.hex(pack.cellCount, width: 2) }
    private var totalVoltageField: String { G1Field.hex(Int((pack.totalVoltage * 100).rounded()), width: 8) }

    /// Total voltage (8 hex, 0.01 V), current (signed 4 hex, 0.1 A), 8 reserved fields.
    private var cv1Fields: [String] {
        [totalVoltageField, G1Field.signedHex(Int((pack.measuredCurrent * 10).rounded()), width: 4)]
            + Array(repeating: "", count: 8)
    }

    /// Charge and capacity in coulombs (8 hex each), state of charge 0.01 % (4 hex).
    private var bc1Fields: [String] {
        let capacity = pack.capacityAh * 3600
        return [
            G1Field.hex(Int(capacity * pack.stateOfCharge), width: 8), G1Field.hex(Int(capacity), width: 8),
            G1Field.hex(Int((pack.stateOfCharge * 10_000).rounded()), width: 4),
        ]
    }

    /// Stage, last error, error parameter (2 hex each), stage duration (4 hex seconds),
    /// status (2 hex), protection (4 hex), power reduction (2 hex), pin status (2 hex, outputs).
    private var st1Fields: [String] {
        [
            G1Field.hex(Int(pack.chargingStage.rawValue), width: 2), G1Field.hex(Int(pack.lastChargingError), width: 2),
            G1Field.hex(Int(pack.lastChargingErrorParameter), width: 2), G1Field.hex(Int(pack.stageDuration), width: 4),
            G1Field.hex(Int(pack.statusFlags), width: 2), G1Field.hex(Int(pack.protection.rawValue), width: 4),
            G1Field.hex(Int(pack.powerReduction.rawValue), width: 2), G1Field.hex(Int(pack.pins.outputs), width: 2),
        ]
    }

    /// Connected chargers, CAN charger status (1 charging), set voltage and current (0.1 V,
    /// 0.1 A), actual voltage and current (0.1 V, 0.1 A); 4 hex each but the first two.
    private var cs1Fields: [String] {
        guard pack.chargerConnected else { return ["00", "00", "0000", "0000", "0000", "0000"] }
        let setVoltage = pack.limits.chargedVoltage * Double(pack.configuration.cellsPerString)
        let setCurrent = pack.chargingStage.charges ? pack.regulatedCurrent() : 0
        return ["01", pack.chargingStage.charges ? "01" : "00"]
            + [setVoltage, setCurrent, pack.totalVoltage, max(0, pack.current)]
            .map { G1Field.hex(Int(($0 * 10).rounded()), width: 4) }
    }

    /// Current sensor status (1 OK), then cell count and status (1 OK) of each string's group.
    private var cg1Fields: [String] {
        ["01"] + (0..<pack.configuration.strings).flatMap { _ in [G1Field.hex(pack.configuration.cellsPerString, width: 2), "01"] }
    }

    /// Speed 0.1 km/h, distance since charge 0.01 km, momentary consumption 0.1 Wh/km,
    /// estimated distance left km, last charge and last discharge energy Wh; 6 fields reserved.
    private var dt1Fields: [String] {
        let trip = pack.trip
        let energyLeft = pack.stateOfCharge * pack.capacityAh * pack.totalVoltage
        return [
            G1Field.hex(Int(trip.speed * 10), width: 4), G1Field.hex(Int(trip.distanceSinceCharge * 100), width: 8),
            G1Field.hex(Int(trip.momentaryConsumption * 10), width: 4),
            G1Field.hex(Int(energyLeft / trip.averageConsumption), width: 4),
            G1Field.hex(Int(trip.lastChargeEnergy), width: 8), G1Field.hex(Int(trip.lastDischargeEnergy), width: 8),
        ]
            + Array(repeating: "", count: 6)
    }

    /// Year, month, day, hour, minute, second (decimal, UTC), uptime (8 hex seconds).
    private var td1Fields: [String] {
        let clock = time.addingTimeInterval(clockOffset)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: clock)
        return [G1Field.decimal(parts.year ?? 2000, width: 4)]
            + [parts.month, parts.day, parts.hour, parts.minute, parts.second].map { G1Field.decimal($0 ?? 0, width: 2) }
            + [G1Field.hex(Int(pack.uptime), width: 8)]
    }

    /// Per-cell detail, one line per group of up to 8 cells of each string: string (2 hex,
    /// from 0), first cell of the group within the string (4 hex, from 1), group size
    /// (1 hex), the bytes.
    private func cellGroups(_ name: String, _ bytes: [UInt8]) -> [G1Sentence] {
        let perString = pack.configuration.cellsPerString
        return (0..<pack.configuration.strings).flatMap { string in
            stride(from: 0, to: perString, by: 8).map { first in
                let start = string * perString + first
                let group = Array(bytes[start..<start + min(8, perString - first)])
                return sentence(
                    name,
                    [
                        G1Field.hex(string, width: 2), G1Field.hex(first + 1, width: 4),
                        G1Field.hex(group.count, width: 1), G1Field.bytes(group),
                    ])
            }
        }
    }
}
