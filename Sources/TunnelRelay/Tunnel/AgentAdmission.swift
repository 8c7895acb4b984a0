import SharedWire

/// Whether the relay admits an agent whose verified certificate names `deviceID` with
/// `serial`, given the device's record in the store. Pure: the handler looks the record up.
enum AgentAdmission: Equatable {
    /// Admitted; `renewedCertificateInUse` when the certificate is the renewed one on offer
    /// (the agent installed it, whether or not its word arrived): it becomes the current one.
    case admit(renewedCertificateInUse: Bool)
    /// Refused with this code and reason; every refusal is audited.
    case refuse(TunnelErrorCode, String)

    static func decide(deviceID: String, serial: String, record: DeviceRecord?) -> AgentAdmission {
        guard let device = record else { return .refuse(.deviceUnknown, "device \(deviceID) is not registered with this relay") }
        if device.revokedAt != nil { return .refuse(.deviceRevoked, "device \(deviceID) has been revoked") }
        guard device.accepts(certificateSerial: serial) else {
            // A certificate the relay issued for this ID once, but not the current one
            // (renewed since, or the device was reset and registered again): refused like a stranger's.
            return .refuse(.authenticationFailed, "the certificate of device \(deviceID) is not its current one (serial \(serial))")
        }
        return .admit(renewedCertificateInUse: serial == device.pendingCertificateSerial)
    }
}
