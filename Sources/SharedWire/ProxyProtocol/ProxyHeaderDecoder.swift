import NIOCore

/// Reads the one PROXY protocol version 2 header a connection from a balancer starts with.
///
/// Size cap: `ProxyProtocolLimits.maxHeaderLength` (536 bytes); a header announcing more is
/// refused from its fixed part. The bytes after the header are the client's and are left in
/// the buffer for whatever reads the connection next.
public struct ProxyHeaderDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ProxyHeader

    private let maxLength: Int

    /// A decoder with the standard cap; tests may pass a smaller one.
    public init(maxLength: Int = ProxyProtocolLimits.maxHeaderLength) {
        self.maxLength = maxLength
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ProxyHeader? {
        try buffer.readProxyHeader(maxLength: maxLength)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ProxyHeader? {
        try decode(buffer: &buffer)
    }
}
