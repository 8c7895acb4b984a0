/// The start of an ELF file's header: enough to tell whether an image runs on this machine.
/// Layout (System V ABI): the magic `7F 'E' 'L' 'F'`, the class (1: 32-bit, 2: 64-bit) at 4,
/// the byte order (1: little-endian, 2: big-endian) at 5, the type at 16 and the machine at 18.
struct ELFHeader: Equatable, CustomStringConvertible {
    let wordSize: UInt8
    let byteOrder: UInt8
    let type: UInt16
    let machine: UInt16

    /// Bytes read to decide.
    static let length = 20

    /// The header of `bytes` (the file's start), or why it is not an executable.
    init(_ bytes: some Collection<UInt8>) throws(FirmwareFailure) {
        let bytes = Array(bytes.prefix(Self.length))
        guard bytes.count == Self.length, bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46] else {
            throw FirmwareFailure("the image is not a Linux executable (no ELF header)")
        }
        guard (1...2).contains(bytes[4]), (1...2).contains(bytes[5]) else {
            throw FirmwareFailure("the image's ELF header has an unknown class or byte order")
        }
        wordSize = bytes[4]
        byteOrder = bytes[5]
        let half = { (index: Int) -> UInt16 in
            bytes[5] == 1 ? UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8 : UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        }
        type = half(16)
        machine = half(18)
        guard type == 2 || type == 3 else { throw FirmwareFailure("the image is an ELF file but not an executable (type \(type))") }
    }

    /// Why an image with this header cannot run where `own` runs, or nil when it can.
    func mismatch(with own: ELFHeader) -> String? {
        guard machine == own.machine, wordSize == own.wordSize, byteOrder == own.byteOrder else {
            return "the image is for another machine (\(self)), this gateway runs \(own)"
        }
        return nil
    }

    var description: String {
        let names: [UInt16: String] = [0x03: "x86", 0x28: "ARM", 0x3E: "x86-64", 0xB7: "AArch64", 0xF3: "RISC-V"]
        return "\(names[machine] ?? "machine \(machine)") \(wordSize == 2 ? 64 : 32)-bit \(byteOrder == 1 ? "little" : "big")-endian"
    }
}
