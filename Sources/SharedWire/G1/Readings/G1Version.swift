/// VR1: hardware type, serial number and firmware version, as strings.
public struct G1Version: Equatable, Sendable {
    public let hardware: String
    public let serialNumber: String
    public let firmware: String

    public init(_ sentence: G1Sentence) throws {
        try sentence.require("VR1")
        guard sentence.fields.count >= 3 else {
            throw G1FieldError(sentence: "VR1", field: 3, found: "", expected: "hardware, serial number, firmware")
        }
        hardware = sentence.field(1)
        serialNumber = sentence.field(2)
        firmware = sentence.field(3)
    }
}
