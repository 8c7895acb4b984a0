import NIOCore

/// One frame of the tunnel protocol: a type, flags and an opaque payload.
///
/// This is the grammar layer: it knows nothing of what a payload means.
/// `TunnelMessage` gives payloads their meaning.
public struct TunnelFrame: Equatable, Sendable {
    /// The frame's type byte. Unknown values are kept so the caller can decide.
    public var type: UInt8
    /// Flag bits; see `TunnelFrame.Flags`.
    public var flags: Flags
    /// The payload, at most `TunnelLimits.maxFramePayload` bytes.
    public var payload: ByteBuffer

    public init(type: UInt8, flags: Flags = [], payload: ByteBuffer) {
        self.type = type
        self.flags = flags
        self.payload = payload
    }

    /// Flag bits of a frame header. Senders set unknown bits to zero; receivers ignore them.
    public struct Flags: OptionSet, Equatable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// A receiver that does not know the frame type skips the frame instead of failing.
        public static let ignorable = Flags(rawValue: 0x01)
    }
}

/// The frame types of protocol version 1.
public enum TunnelFrameType: UInt8, Sendable, CaseIterable {
    case hello = 0x01
    case welcome = 0x02
    case openSession = 0x10
    case closeSession = 0x11
    case sessionStatus = 0x12
    case watchers = 0x13
    case watchedSentence = 0x14
    case captureData = 0x15
    case serialData = 0x20
    case serialControl = 0x21
    case serialControlResult = 0x22
    case serialState = 0x23
    case ping = 0x30
    case pong = 0x31
    case goingAway = 0x3F
    case telemetry = 0x40
    case renewCertificate = 0x50
    case certificate = 0x51
    case certificateInstalled = 0x52
    case renewRequested = 0x53
    case diagnoseRequested = 0x60
    case diagnosticData = 0x61
    case diagnosticEnd = 0x62
}
