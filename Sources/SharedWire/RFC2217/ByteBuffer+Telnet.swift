import NIOCore

extension ByteBuffer {
    /// Reads one Telnet element: a run of data bytes, a negotiation, a subnegotiation or
    /// another command. Returns `nil` when the element is not complete yet (consuming
    /// nothing), and throws when the bytes break the grammar or a subnegotiation exceeds
    /// `maxSubnegotiationLength` unescaped bytes.
    public mutating func readTelnetEvent(maxSubnegotiationLength: Int) throws -> TelnetEvent? {
        guard let first = getInteger(at: readerIndex, as: UInt8.self) else { return nil }
        guard first == Telnet.iac else {
            let run = withUnsafeReadableBytes { $0.firstIndex(of: Telnet.iac) } ?? readableBytes
            return .data(readSlice(length: run)!)
        }
        guard let command = getInteger(at: readerIndex + 1, as: UInt8.self) else { return nil }
        switch command {
        case Telnet.iac:
            moveReaderIndex(forwardBy: 1)
            return .data(readSlice(length: 1)!)
        case Telnet.sb:
            return try readTelnetSubnegotiation(maxLength: maxSubnegotiationLength)
        default:
            if let verb = TelnetVerb(rawValue: command) {
                guard let option = getInteger(at: readerIndex + 2, as: UInt8.self) else { return nil }
                moveReaderIndex(forwardBy: 3)
                return .negotiation(verb, TelnetOption(rawValue: option))
            }
            moveReaderIndex(forwardBy: 2)
            return .command(command)
        }
    }

    /// Reads `IAC SB <body> IAC SE` with the reader at its IAC.
    private mutating func readTelnetSubnegotiation(maxLength: Int) throws -> TelnetEvent? {
        let bodyStart = readerIndex + 2
        var index = bodyStart
        var length = 0
        var escaped = false
        while true {
            guard let byte = getInteger(at: index, as: UInt8.self) else { return nil }
            if byte == Telnet.iac {
                guard let next = getInteger(at: index + 1, as: UInt8.self) else { return nil }
                if next == Telnet.se { break }
                guard next == Telnet.iac else { throw TelnetDecodingError.commandInsideSubnegotiation(next) }
                escaped = true
                index += 2
            } else {
                index += 1
            }
            length += 1
            if length > maxLength { throw TelnetDecodingError.subnegotiationTooLong(limit: maxLength) }
        }
        guard length > 0 else { throw TelnetDecodingError.emptySubnegotiation }
        var body = getSlice(at: bodyStart, length: index - bodyStart)!
        if escaped { body = body.telnetUnescaped(count: length) }
        let option = TelnetOption(rawValue: body.readInteger(as: UInt8.self)!)
        let event: TelnetEvent
        if option == .comPort {
            guard let code = body.readInteger(as: UInt8.self) else { throw TelnetDecodingError.comPortWithoutCommand }
            event = .comPort(command: code, value: body)
        } else {
            event = .subnegotiation(option, body)
        }
        moveReaderIndex(to: index + 2)
        return event
    }

    /// A copy with every `IAC IAC` made one 0xFF.
    private func telnetUnescaped(count: Int) -> ByteBuffer {
        var result = ByteBuffer()
        result.reserveCapacity(count)
        var skipNext = false
        for byte in readableBytesView {
            if skipNext {
                skipNext = false
                continue
            }
            result.writeInteger(byte)
            skipNext = byte == Telnet.iac
        }
        return result
    }

    /// Writes data bytes with every 0xFF doubled.
    @discardableResult
    public mutating func writeTelnetData(_ data: ByteBuffer) -> Int {
        var rest = data
        var written = 0
        while let iac = rest.withUnsafeReadableBytes({ $0.firstIndex(of: Telnet.iac) }) {
            written += writeImmutableBuffer(rest.readSlice(length: iac + 1)!)
            written += writeInteger(Telnet.iac)
        }
        return written + writeImmutableBuffer(rest)
    }

    /// Writes `IAC <verb> <option>`.
    @discardableResult
    public mutating func writeTelnetNegotiation(_ verb: TelnetVerb, _ option: TelnetOption) -> Int {
        writeBytes([Telnet.iac, verb.rawValue, option.rawValue])
    }

    /// Writes `IAC SB <option> <body> IAC SE`, doubling 0xFF in the body.
    @discardableResult
    public mutating func writeTelnetSubnegotiation(_ option: TelnetOption, body: some Sequence<UInt8>) -> Int {
        var written = writeBytes([Telnet.iac, Telnet.sb])
        for byte in CollectionOfOne(option.rawValue) + Array(body) {
            written += writeInteger(byte)
            if byte == Telnet.iac { written += writeInteger(Telnet.iac) }
        }
        return written + writeBytes([Telnet.iac, Telnet.se])
    }

    /// Writes a COM-PORT-OPTION command with its value: `IAC SB 44 <command> <value> IAC SE`.
    /// A server answers with the client's command + 100 (`ComPortAnswer` does that).
    @discardableResult
    public mutating func writeComPortCommand(_ command: UInt8, value: some Sequence<UInt8>) -> Int {
        writeTelnetSubnegotiation(.comPort, body: CollectionOfOne(command) + Array(value))
    }

    /// Writes a server's COM-PORT-OPTION answer.
    @discardableResult
    public mutating func writeComPortAnswer(_ answer: ComPortAnswer) -> Int {
        writeComPortCommand(answer.serverCode, value: answer.valueBytes)
    }
}
