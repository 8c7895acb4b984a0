import NIOCore

extension ByteBuffer {
    /// Reads one PROXY protocol version 2 header, or returns `nil` (consuming nothing) when
    /// more bytes are needed. Throws as soon as the bytes seen cannot start a header this
    /// reader takes: a wrong first byte is refused at once, not after 16 bytes, and a length
    /// above `maxLength` before any of it arrives. TLVs after the addresses are checked to
    /// fit and skipped.
    public mutating func readProxyHeader(maxLength: Int = ProxyProtocolLimits.maxHeaderLength) throws -> ProxyHeader? {
        try checkProxySignature()
        let fixed = ProxyProtocolLimits.fixedLength
        guard
            let versionAndCommand = getInteger(at: readerIndex + 12, as: UInt8.self),
            let familyByte = getInteger(at: readerIndex + 13, as: UInt8.self),
            let announced = getInteger(at: readerIndex + 14, as: UInt16.self)
        else { return nil }
        guard versionAndCommand >> 4 == 2 else { throw ProxyHeaderError.unsupportedVersion(versionAndCommand >> 4) }
        guard let command = ProxyCommand(rawValue: versionAndCommand & 0x0F) else {
            throw ProxyHeaderError.unknownCommand(versionAndCommand & 0x0F)
        }
        let length = Int(announced)
        guard fixed + length <= maxLength else { throw ProxyHeaderError.tooLong(length: fixed + length, limit: maxLength) }
        // A LOCAL header's addresses are to be ignored, whatever family it names.
        let family = command == .local ? ProxyAddressFamily.unspecified : try Self.family(familyByte)
        guard length >= family.blockLength else {
            throw ProxyHeaderError.addressBlockTooShort(family: familyByte, length: length, needed: family.blockLength)
        }
        guard readableBytes >= fixed + length else { return nil }
        var rest = getSlice(at: readerIndex + fixed, length: length)!
        let header = try rest.readProxyAddresses(command: command, family: family)
        try rest.skipProxyTLVs(offset: fixed + family.blockLength)
        moveReaderIndex(forwardBy: fixed + length)
        return header
    }

    /// Writes a version 2 header for `header`, then `tlvs` (type and value each) after the
    /// addresses. For tests and tools that stand in for a balancer. Addresses of two
    /// families, or of UNIX sockets, have no TCP block and are written as `UNSPEC`.
    @discardableResult
    public mutating func writeProxyHeader(_ header: ProxyHeader, tlvs: [(UInt8, [UInt8])] = []) -> Int {
        var addresses = ByteBuffer()
        var command = ProxyCommand.proxy
        var family = ProxyAddressFamily.unspecified
        switch header {
        case .local:
            command = .local
        case .unspecified:
            break
        case .proxied(let source, let destination):
            let packed = (source.packedBytes, destination.packedBytes)
            if let sourceBytes = packed.0, let destinationBytes = packed.1, sourceBytes.count == destinationBytes.count {
                family = sourceBytes.count == 4 ? .tcp4 : .tcp6
                addresses.writeBytes(sourceBytes)
                addresses.writeBytes(destinationBytes)
                addresses.writeInteger(UInt16(truncatingIfNeeded: source.port ?? 0))
                addresses.writeInteger(UInt16(truncatingIfNeeded: destination.port ?? 0))
            }
        }
        for (type, value) in tlvs {
            addresses.writeInteger(type)
            addresses.writeInteger(UInt16(truncatingIfNeeded: value.count))
            addresses.writeBytes(value)
        }
        return writeBytes(ProxyProtocolLimits.signature) + writeInteger(0x20 | command.rawValue) + writeInteger(family.rawValue)
            + writeInteger(UInt16(truncatingIfNeeded: addresses.readableBytes)) + writeBuffer(&addresses)
    }
}

extension ByteBuffer {
    /// Throws unless the readable bytes (as many as there are, up to 12) agree with the
    /// signature; a version 1 header is named as such.
    private func checkProxySignature() throws {
        let signature = ProxyProtocolLimits.signature
        let seen = getBytes(at: readerIndex, length: Swift.min(readableBytes, signature.count)) ?? []
        guard seen != Array(signature.prefix(seen.count)) else { return }
        let version1 = Array("PROXY ".utf8)
        if seen.count >= version1.count, Array(seen.prefix(version1.count)) == version1 { throw ProxyHeaderError.version1 }
        throw ProxyHeaderError.notProxyProtocol(start: seen)
    }

    /// The family and transport byte, if it is one a TCP listener takes.
    private static func family(_ byte: UInt8) throws -> ProxyAddressFamily {
        guard let family = ProxyAddressFamily(rawValue: byte) else { throw ProxyHeaderError.unsupportedFamily(byte) }
        return family
    }

    /// Reads the address block of `family` (whose length the caller checked).
    private mutating func readProxyAddresses(command: ProxyCommand, family: ProxyAddressFamily) throws -> ProxyHeader {
        if command == .local {
            moveReaderIndex(to: writerIndex)
            return .local
        }
        guard family != .unspecified else {
            moveReaderIndex(to: writerIndex)
            return .unspecified
        }
        let source = readSlice(length: family.addressLength)!
        let destination = readSlice(length: family.addressLength)!
        let sourcePort = readInteger(as: UInt16.self)!
        let destinationPort = readInteger(as: UInt16.self)!
        return .proxied(
            source: try SocketAddress(packedIPAddress: source, port: Int(sourcePort)),
            destination: try SocketAddress(packedIPAddress: destination, port: Int(destinationPort)))
    }

    /// Steps over the TLVs that fill the rest of the header, refusing one that runs past its
    /// end. `offset` is where they start in the header, for the error.
    private mutating func skipProxyTLVs(offset: Int) throws {
        var offset = offset
        while readableBytes > 0 {
            guard readableBytes >= ProxyProtocolLimits.tlvHeaderLength else {
                throw ProxyHeaderError.truncatedTLV(type: nil, offset: offset)
            }
            let type = readInteger(as: UInt8.self)!
            let length = Int(readInteger(as: UInt16.self)!)
            guard readableBytes >= length else { throw ProxyHeaderError.truncatedTLV(type: type, offset: offset) }
            moveReaderIndex(forwardBy: length)
            offset += ProxyProtocolLimits.tlvHeaderLength + length
        }
    }
}
