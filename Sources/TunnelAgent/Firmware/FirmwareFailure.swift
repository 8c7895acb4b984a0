/// Why an update failed, as the portal shows it in `fw_error`.
struct FirmwareFailure: Error, CustomStringConvertible, Equatable {
    let description: String
    init(_ description: String) { self.description = description }
}
