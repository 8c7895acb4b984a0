/// Open-circuit voltage of a lithium-ion (NMC) cell against its state of charge: a table of
/// typical values, interpolated linearly. Above full the voltage keeps rising steeply, so an
/// over-charged cell crosses the over-voltage limit.
enum LithiumIonCurve {
    /// (state of charge, volts), state of charge ascending.
    private static let points: [(Double, Double)] = [
        (0.00, 3.00), (0.05, 3.40), (0.10, 3.50), (0.20, 3.60), (0.30, 3.65), (0.40, 3.70),
        (0.50, 3.76), (0.60, 3.85), (0.70, 3.94), (0.80, 4.02), (0.90, 4.10), (1.00, 4.18),
    ]

    /// Volts at `stateOfCharge` (0...1; values outside are extrapolated).
    static func voltage(at stateOfCharge: Double) -> Double {
        if stateOfCharge >= 1 { return 4.18 + (stateOfCharge - 1) * 3 }
        if stateOfCharge <= 0 { return 3.00 + stateOfCharge * 8 }
        var lower = points[0]
        for point in points.dropFirst() {
            if stateOfCharge <= point.0 {
                let fraction = (stateOfCharge - lower.0) / (point.0 - lower.0)
                return lower.1 + fraction * (point.1 - lower.1)
            }
            lower = point
        }
        return points.last!.1
    }
}
