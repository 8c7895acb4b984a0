/// Parsing of one slcan line (without its terminator), for the `ByteBuffer` grammar.
enum SLCAN {
    static let carriageReturn: UInt8 = 0x0D
    static let lineFeed: UInt8 = 0x0A
    static let bell: UInt8 = 0x07

    static func parse(_ line: ArraySlice<UInt8>) throws -> SLCANMessage {
        guard let first = line.first else { return .ok }
        let rest = line.dropFirst()
        switch first {
        case UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "T"), UInt8(ascii: "R"):
            return .frame(try parseFrame(line))
        case UInt8(ascii: "S"):
            guard rest.count == 1, let digit = rest.first, let rate = SLCANBitRate(rawValue: digit &- UInt8(ascii: "0")) else {
                throw SLCANDecodingError.malformed(line: text(line), reason: "expected S0 to S8")
            }
            return .setBitRate(rate)
        case UInt8(ascii: "O"), UInt8(ascii: "C"):
            guard rest.isEmpty else { throw SLCANDecodingError.malformed(line: text(line), reason: "expected O or C alone") }
            return first == UInt8(ascii: "O") ? .open : .close
        default:
            throw SLCANDecodingError.malformed(line: text(line), reason: "unknown command; expected t, T, r, R, S0-S8, O or C")
        }
    }

    /// `t<iii><l><dd..>`, `T<iiiiiiii><l><dd..>`, `r<iii><l>`, `R<iiiiiiii><l>`.
    private static func parseFrame(_ line: ArraySlice<UInt8>) throws -> CANFrame {
        let letter = line.first!
        let extended = letter == UInt8(ascii: "T") || letter == UInt8(ascii: "R")
        let remote = letter == UInt8(ascii: "r") || letter == UInt8(ascii: "R")
        let idDigits = extended ? 8 : 3
        let body = line.dropFirst()
        guard body.count >= idDigits + 1, let id = hexValue(body.prefix(idDigits)) else {
            throw SLCANDecodingError.malformed(line: text(line), reason: "expected \(idDigits) hex digits of ID and a length digit")
        }
        let lengthDigit = body[body.startIndex + idDigits] &- UInt8(ascii: "0")
        guard lengthDigit <= CANFrame.maxDataLength else {
            throw SLCANDecodingError.malformed(line: text(line), reason: "length must be a digit 0 to 8")
        }
        let dataText = body.dropFirst(idDigits + 1)
        let expected = remote ? 0 : Int(lengthDigit) * 2
        guard dataText.count == expected else {
            throw SLCANDecodingError.malformed(line: text(line), reason: "expected \(expected) hex digits of data, got \(dataText.count)")
        }
        var data: [UInt8] = []
        var index = dataText.startIndex
        while index < dataText.endIndex {
            guard let byte = hexValue(dataText[index..<index + 2]) else {
                throw SLCANDecodingError.malformed(line: text(line), reason: "data is not hex")
            }
            data.append(UInt8(byte))
            index += 2
        }
        do {
            if remote { return try CANFrame(remoteID: id, extended: extended, length: Int(lengthDigit)) }
            return try CANFrame(id: id, extended: extended, data: data)
        } catch let error as CANFrameError {
            throw SLCANDecodingError.malformed(line: text(line), reason: error.description)
        }
    }

    /// The value of ASCII hex digits (either case); nil for anything else.
    static func hexValue(_ digits: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        for digit in digits {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt32(nibble)
        }
        return digits.isEmpty ? nil : value
    }

    /// The line as text for an error message, cut to 40 characters.
    static func text(_ line: ArraySlice<UInt8>) -> String {
        let shown = String(decoding: line.prefix(40), as: UTF8.self)
        return line.count > 40 ? shown + "…" : shown
    }
}
