/// The BMS's digital inputs and outputs as IN1, OT1 and CAN 0x19B50000 D0/D1 carry them.
public struct PackPins: Hashable, Sendable {
    /// D0: b0 ignition, b1 charger mains, b2 fast charge, b3 leakage.
    public let inputs: UInt8
    /// D1: b0 charger enable, b1 heater, b2 contactor, b3 fan, b4 power reduction,
    /// b5 charging interlock, b6 DC/DC, b7 pre-charge.
    public let outputs: UInt8
}
