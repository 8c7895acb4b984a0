import NIOCore

extension ByteBuffer {
    /// Reads one whole frame, or returns `nil` (consuming nothing) when more bytes are needed.
    /// Throws `frameTooLarge` as soon as a header announces more than the limit.
    public mutating func readTunnelFrame(
        maxPayload: Int = TunnelLimits.maxFramePayload
    ) throws -> TunnelFrame? {
        guard
            let type = self.getInteger(at: self.readerIndex, as: UInt8.self),
            let flags = self.getInteger(at: self.readerIndex + 1, as: UInt8.self),
            let length = self.getInteger(at: self.readerIndex + 2, as: UInt32.self)
        else { return nil }
        guard length <= maxPayload else {
            throw TunnelProtocolError(
                .frameTooLarge,
                "frame type 0x\(String(type, radix: 16)) announces \(length) payload bytes, limit is \(maxPayload)"
            )
        }
        guard self.readableBytes >= TunnelLimits.frameHeaderSize + Int(length) else { return nil }
        self.moveReaderIndex(forwardBy: TunnelLimits.frameHeaderSize)
        let payload = self.readSlice(length: Int(length))!
        return TunnelFrame(type: type, flags: .init(rawValue: flags), payload: payload)
    }

    /// Writes one frame: header then payload.
    @discardableResult
    public mutating func writeTunnelFrame(_ frame: TunnelFrame) -> Int {
        var payload = frame.payload
        return self.writeTunnelFrameHeader(
            type: frame.type, flags: frame.flags, payloadLength: payload.readableBytes
        ) + self.writeBuffer(&payload)
    }

    /// Writes a frame header for a payload the caller writes next.
    @discardableResult
    public mutating func writeTunnelFrameHeader(
        type: UInt8, flags: TunnelFrame.Flags, payloadLength: Int
    ) -> Int {
        self.writeInteger(type) + self.writeInteger(flags.rawValue)
            + self.writeInteger(UInt32(payloadLength))
    }
}

extension ByteBuffer {
    /// Reads a string field: a 16-bit big-endian length then that many UTF-8 bytes, at most
    /// `TunnelLimits.maxStringLength`.
    mutating func readTunnelString(field: String) throws -> String {
        var value = try readTunnelField(field, limit: TunnelLimits.maxStringLength)
        return value.readString(length: value.readableBytes) ?? ""
    }

    /// Reads a bytes field (DER certificates and requests): a 16-bit big-endian length then
    /// that many bytes, at most `TunnelLimits.maxBytesFieldLength`.
    mutating func readTunnelBytes(field: String) throws -> [UInt8] {
        Array(try readTunnelField(field, limit: TunnelLimits.maxBytesFieldLength).readableBytesView)
    }

    /// A length-prefixed field's bytes, refusing a length above `limit` and a payload that ends early.
    private mutating func readTunnelField(_ field: String, limit: Int) throws -> ByteBuffer {
        let length: UInt16 = try readTunnelInteger("the length of \(field)")
        guard length <= limit else {
            throw TunnelProtocolError(.protocolError, "\(field) is \(length) bytes, limit is \(limit)")
        }
        guard let value = readSlice(length: Int(length)) else {
            throw TunnelProtocolError(.protocolError, "payload ends inside \(field)")
        }
        return value
    }

    /// Writes a string field: a 16-bit big-endian length then its UTF-8 bytes, cut to
    /// `TunnelLimits.maxStringLength` bytes at a character boundary.
    @discardableResult
    mutating func writeTunnelString(_ value: String) -> Int {
        var text = value
        while text.utf8.count > TunnelLimits.maxStringLength { text.removeLast() }
        return self.writeInteger(UInt16(text.utf8.count)) + self.writeString(text)
    }

    /// Writes a bytes field; the caller keeps it within `TunnelLimits.maxBytesFieldLength`
    /// (a longer one is written empty, which the receiver refuses by meaning, not by framing).
    @discardableResult
    mutating func writeTunnelBytes(_ value: [UInt8]) -> Int {
        let bytes = value.count <= TunnelLimits.maxBytesFieldLength ? value : []
        return self.writeInteger(UInt16(bytes.count)) + self.writeBytes(bytes)
    }

    /// Reads a fixed-width integer field or throws naming the field.
    mutating func readTunnelInteger<T: FixedWidthInteger>(_ field: String, as: T.Type = T.self) throws -> T {
        guard let value = self.readInteger(as: T.self) else {
            throw TunnelProtocolError(.protocolError, "payload ends before \(field)")
        }
        return value
    }
}
