/// Distance and energy as DT1 and CAN 0x19B50600 report them. The simulated vehicle drives at
/// a speed proportional to the discharge current; a charge starts a new trip.
public struct TripMeter: Hashable, Sendable {
    /// Kilometres per hour per ampere of discharge current.
    static let speedPerAmpere = 2.5
    /// Top speed, km/h.
    static let topSpeed = 120.0
    /// Consumption assumed before the trip has a measured one, Wh/km.
    static let assumedConsumption = 25.0

    /// Speed now, km/h.
    public internal(set) var speed: Double = 0
    /// Power drawn now, W (0 while charging).
    public internal(set) var power: Double = 0
    /// Distance since the last charge, km.
    public internal(set) var distanceSinceCharge: Double = 0
    /// Distance over the pack's life, km.
    public internal(set) var totalDistance: Double = 0
    /// Energy drawn since the last charge, Wh.
    public internal(set) var energySinceCharge: Double = 0
    /// Energy put in by the last complete charge, Wh.
    public internal(set) var lastChargeEnergy: Double = 0
    /// Energy drawn by the last complete discharge (trip), Wh.
    public internal(set) var lastDischargeEnergy: Double = 0
    /// Energy of the charge under way, Wh.
    var chargeEnergy: Double = 0
    /// Whether the last current was charging.
    var charging = false

    /// Momentary consumption, Wh/km (0 while standing).
    public var momentaryConsumption: Double { speed > 0 ? power / speed : 0 }
    /// Average consumption of this trip, Wh/km.
    public var averageConsumption: Double {
        distanceSinceCharge > 0.1 ? energySinceCharge / distanceSinceCharge : Self.assumedConsumption
    }

    /// Records `dt` seconds at `current` (A, positive charging) and `voltage` (V).
    mutating func record(current: Double, voltage: Double, dt: Double) {
        let hours = dt / 3600
        if current > 0, !charging {
            lastDischargeEnergy = energySinceCharge
            chargeEnergy = 0
        } else if current < 0, charging {
            lastChargeEnergy = chargeEnergy
            distanceSinceCharge = 0
            energySinceCharge = 0
        }
        if current != 0 { charging = current > 0 }
        speed = current < 0 ? min(Self.topSpeed, -current * Self.speedPerAmpere) : 0
        power = current < 0 ? -current * voltage : 0
        distanceSinceCharge += speed * hours
        totalDistance += speed * hours
        energySinceCharge += power * hours
        if current > 0 { chargeEnergy += current * voltage * hours }
    }
}
