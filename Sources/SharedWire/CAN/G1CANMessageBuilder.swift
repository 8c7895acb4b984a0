/// Builds the frames of the EMUS G1 CAN protocol from wire values (the byte encodings of the
/// reference: cell voltage bytes, temperature bytes, flag words). Extended IDs only: the
/// standard-ID variant's base is not documented well enough to build.
///
/// Multi-byte fields are big-endian, except the total voltage of `batteryVoltage`.
public struct G1CANMessageBuilder: Hashable, Sendable {
    /// The base of the vendor's default configuration.
    public static let defaultBase: UInt16 = 0x19B5
    /// Largest base whose IDs still fit 29 bits.
    public static let maxBase: UInt16 = 0x1FFF

    /// The high 16 bits of every ID.
    public let base: UInt16

    /// A builder for `base`; throws when `base << 16` does not fit a 29-bit ID.
    public init(base: UInt16 = defaultBase) throws {
        guard base <= Self.maxBase else { throw CANFrameError.idOutOfRange(id: UInt32(base) << 16, extended: true) }
        self.base = base
    }

    /// The extended ID of `message`.
    public func id(of message: G1CANMessage) -> UInt32 { UInt32(base) << 16 | UInt32(message.offset) }

    /// The message an ID names, or nil for a standard ID, another base or an unknown offset.
    public func message(forID id: UInt32, extended: Bool) -> G1CANMessage? {
        guard extended, id >> 16 == UInt32(base) else { return nil }
        return G1CANMessage(offset: UInt16(id & 0xFFFF))
    }

    /// 0x0000: D0 inputs, D1 outputs, D2 live cells MSB, D3 stage, D4–5 stage duration,
    /// D6 last charging error, D7 live cells LSB.
    public func overallParameters(
        inputs: UInt8, outputs: UInt8, liveCells: UInt16, chargingStage: UInt8, stageDuration: UInt16,
        lastChargingError: UInt8
    ) -> CANFrame {
        frame(
            .overallParameters,
            [
                inputs, outputs, UInt8(liveCells >> 8), chargingStage, UInt8(stageDuration >> 8), UInt8(stageDuration & 0xFF),
                lastChargingError, UInt8(liveCells & 0xFF),
            ])
    }

    /// 0x0001: D0–2 min, max, average cell voltage bytes; the total voltage (0.01 V) with
    /// D3 = bits 8–15, D4 = bits 0–7, D5 = bits 24–31, D6 = bits 16–23.
    public func batteryVoltage(minCell: UInt8, maxCell: UInt8, averageCell: UInt8, totalVoltage: UInt32) -> CANFrame {
        let total: [UInt8] = [8, 0, 24, 16].map { UInt8(truncatingIfNeeded: totalVoltage >> $0) }
        return frame(.batteryVoltage, [minCell, maxCell, averageCell] + total)
    }

    /// 0x0002: min, max, average cell-module temperature bytes.
    public func moduleTemperature(min: UInt8, max: UInt8, average: UInt8) -> CANFrame {
        frame(.moduleTemperature, [min, max, average])
    }

    /// 0x0003: min, max, average balancing rate bytes.
    public func balancingRate(min: UInt8, max: UInt8, average: UInt8) -> CANFrame {
        frame(.balancingRate, [min, max, average])
    }

    /// 0x0008: min, max, average cell temperature bytes.
    public func cellTemperature(min: UInt8, max: UInt8, average: UInt8) -> CANFrame {
        frame(.cellTemperature, [min, max, average])
    }

    /// 0x0007: D0 protection flags LSB, D1 power-reduction flags, D2 protection flags MSB,
    /// D3 battery status flags.
    public func diagnosticCodes(protectionFlags: UInt16, powerReductionFlags: UInt8, batteryStatusFlags: UInt8) -> CANFrame {
        frame(
            .diagnosticCodes,
            [
                UInt8(protectionFlags & 0xFF), powerReductionFlags, UInt8(protectionFlags >> 8), batteryStatusFlags,
            ])
    }

    /// 0x0500: D0–1 current (0.1 A, signed), D2–3 estimated charge (0.1 Ah), D4–5 unused (0),
    /// D6 state of charge %, D7 state of health %.
    public func stateOfCharge(current: Int16, estimatedCharge: UInt16, stateOfCharge: UInt8, stateOfHealth: UInt8) -> CANFrame {
        let raw = UInt16(bitPattern: current)
        return frame(
            .stateOfCharge,
            [
                UInt8(raw >> 8), UInt8(raw & 0xFF), UInt8(estimatedCharge >> 8), UInt8(estimatedCharge & 0xFF), 0, 0,
                stateOfCharge, stateOfHealth,
            ])
    }

    /// 0x0600: D0–1 consumption, D2–3 energy left (10 Wh), D4–5 distance left, D6–7 distance
    /// travelled.
    public func energy(consumption: UInt16, energyLeft: UInt16, distanceLeft: UInt16, distanceTravelled: UInt16) -> CANFrame {
        frame(.energy, [consumption, energyLeft, distanceLeft, distanceTravelled].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
    }

    /// 0x0400 reply: `[idMSB, idLSB, size, d3, d2, d1, d0, 0]`, d3 the value's top byte.
    public func configurationParameter(id: UInt16, size: UInt8, value: UInt32) -> CANFrame {
        let valueBytes: [UInt8] = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
        return frame(.configurationParameter, [UInt8(id >> 8), UInt8(id & 0xFF), size] + valueBytes + [0])
    }

    /// Per-cell frames: cells 1–8 in group 0, 9–16 in group 1, …; the last frame carries only
    /// the cells that remain. At most 256 groups (2048 cells).
    public func cellGroups(_ kind: G1CANCellGroup, bytes: [UInt8]) -> [CANFrame] {
        let count = min(bytes.count, 256 * 8)
        return stride(from: 0, to: count, by: 8).map { (first: Int) -> CANFrame in
            let cells = Array(bytes[first..<min(first + 8, count)])
            return frame(.cellGroup(kind, group: UInt8(first / 8)), cells)
        }
    }

    /// A request for `message`: a zero-length data frame on its ID.
    public func request(_ message: G1CANMessage) -> CANFrame {
        frame(message, [])
    }

    private func frame(_ message: G1CANMessage, _ data: [UInt8]) -> CANFrame {
        // Cannot throw: the base is checked in init, offsets are 16 bits, data at most 8 bytes.
        try! CANFrame(id: id(of: message), extended: true, data: data)
    }
}
