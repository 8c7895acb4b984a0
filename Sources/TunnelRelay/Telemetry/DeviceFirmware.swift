/// The BMS firmware version in a device's live telemetry (`firmwareVersion`, which the agent
/// reads from the BMS's VR1 answer), kept in the store for the console's fleet. It comes from
/// the agent, so it is checked before it is kept: 1 to 64 printable ASCII characters.
enum DeviceFirmware {
    /// The telemetry key.
    static let key = "firmwareVersion"
    static let maxLength = 64

    static func isValid(_ text: String) -> Bool {
        (1...maxLength).contains(text.utf8.count) && text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }
}
