/// What VR1 says the BMS is.
public struct BMSIdentity: Hashable, Sendable {
    /// Hardware type, VR1 field 1.
    public let hardware: String
    /// Serial number, VR1 field 2.
    public let serialNumber: String
    /// Firmware version, VR1 field 3.
    public let firmware: String

    public init(hardware: String = "G1CU", serialNumber: String = "SIM00001", firmware: String = "2.4.1") {
        self.hardware = hardware
        self.serialNumber = serialNumber
        self.firmware = firmware
    }
}
