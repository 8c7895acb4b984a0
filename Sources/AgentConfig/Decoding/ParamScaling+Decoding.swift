import Foundation

extension ParamScaling {
    /// `raw`, a number `width` bits wide, as two's complement when `signed`.
    func number(raw: UInt64, width: Int) -> Double {
        guard signed, width >= 1 else { return Double(raw) }
        if width >= 64 { return Double(Int64(bitPattern: raw)) }
        let sign: UInt64 = 1 << (width - 1)
        return raw & sign == 0 ? Double(raw) : Double(Int64(raw)) - Double(UInt64(1) << width)
    }

    /// `(number + offset) × factor`, rounded half away from zero to `decimals` places when
    /// `decimals` ≥ 0.
    func scaled(_ number: Double) -> Double {
        let value = (number + offset) * factor
        guard decimals >= 0 else { return value }
        let scale = pow(10, Double(decimals))
        return (value * scale).rounded(.toNearestOrAwayFromZero) / scale
    }

    /// The value a scaled number gives: itself, or for BOOL whether it is not zero.
    func value(_ scaled: Double) -> TelemetryValue.Value {
        type == .bool ? .flag(scaled != 0) : .number(scaled)
    }
}
