import NIOCore

extension TunnelMessage {
    /// The frame type this message travels in.
    public var frameType: TunnelFrameType {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .openSession: .openSession
        case .closeSession: .closeSession
        case .sessionStatus: .sessionStatus
        case .watchers: .watchers
        case .watchedSentence: .watchedSentence
        case .captureData: .captureData
        case .serialData: .serialData
        case .serialControl: .serialControl
        case .serialControlResult: .serialControlResult
        case .serialState: .serialState
        case .ping: .ping
        case .pong: .pong
        case .goingAway: .goingAway
        case .telemetry: .telemetry
        case .renewCertificate: .renewCertificate
        case .certificate: .certificate
        case .certificateInstalled: .certificateInstalled
        case .renewRequested: .renewRequested
        case .diagnoseRequested: .diagnoseRequested
        case .diagnosticData: .diagnosticData
        case .diagnosticEnd: .diagnosticEnd
        }
    }

    /// Whether the message is sent with the ignorable flag: extensions a peer of an older build
    /// may skip without failing the connection.
    public var isIgnorable: Bool {
        switch self {
        case .telemetry, .renewCertificate, .certificateInstalled, .renewRequested, .diagnoseRequested, .diagnosticData,
            .diagnosticEnd, .watchers, .watchedSentence, .captureData:
            true
        default: false
        }
    }

    /// Parses a frame. Returns `nil` for an unknown type marked ignorable; throws for an
    /// unknown type that is not, and for a payload that does not match its type.
    public init?(frame: TunnelFrame) throws {
        guard let type = TunnelFrameType(rawValue: frame.type) else {
            if frame.flags.contains(.ignorable) { return nil }
            throw TunnelProtocolError(
                .unknownFrameType, "frame type 0x\(String(frame.type, radix: 16)) is unknown and not ignorable")
        }
        var payload = frame.payload
        self = try Self.parse(type, &payload)
        if type != .serialData, type != .telemetry, type != .diagnosticData, type != .captureData, payload.readableBytes > 0 {
            throw TunnelProtocolError(
                .protocolError, "\(payload.readableBytes) unexpected bytes after a \(type) payload")
        }
    }

    private static func parse(_ type: TunnelFrameType, _ p: inout ByteBuffer) throws -> TunnelMessage {
        switch type {
        case .hello:
            let version: UInt8 = try p.readTunnelInteger("hello version")
            // The version comes first so that a peer of another version, whose HELLO may be
            // laid out differently, is told so instead of getting a parse error.
            guard version == TunnelLimits.protocolVersion else {
                throw TunnelProtocolError(
                    .unsupportedVersion,
                    "protocol version \(version) is not supported, this peer speaks \(TunnelLimits.protocolVersion)")
            }
            let rawRole: UInt8 = try p.readTunnelInteger("hello role")
            guard let role = Role(rawValue: rawRole) else {
                throw TunnelProtocolError(.protocolError, "hello role \(rawRole) is unknown, expected 1 to 8")
            }
            return .hello(
                Hello(
                    version: version, role: role, software: try p.readTunnelString(field: "hello software"),
                    sessionID: try p.readTunnelString(field: "hello session id"),
                    credential: try p.readTunnelString(field: "hello credential")))
        case .welcome:
            return .welcome(
                Welcome(
                    version: try p.readTunnelInteger("welcome version"),
                    identity: try p.readTunnelString(field: "welcome identity"),
                    pingIntervalMilliseconds: try p.readTunnelInteger("welcome ping interval")))
        case .openSession:
            let sessionID = try p.readTunnelString(field: "session id")
            let mode = try p.readSessionMode()
            let serial = try p.readSerialParameters()
            let flags: UInt8 = try p.readTunnelInteger("open-session flags")
            return .openSession(OpenSession(sessionID: sessionID, mode: mode, serial: serial, takeOver: flags & 0x01 != 0))
        case .closeSession:
            return .closeSession(
                CloseSession(
                    sessionID: try p.readTunnelString(field: "session id"),
                    code: try p.readErrorCode(), message: try p.readTunnelString(field: "close message")))
        case .sessionStatus:
            let rawState: UInt8 = try p.readTunnelInteger("session state")
            guard let state = SessionStatus.State(rawValue: rawState) else {
                throw TunnelProtocolError(.protocolError, "session state \(rawState) is unknown")
            }
            return .sessionStatus(
                SessionStatus(
                    state: state, deviceID: try p.readTunnelString(field: "device id"), mode: try p.readSessionMode()))
        case .serialData:
            return .serialData(p.readSlice(length: p.readableBytes)!)
        case .telemetry:
            return .telemetry(p.readSlice(length: p.readableBytes)!)
        case .renewCertificate:
            return .renewCertificate(try p.readTunnelBytes(field: "certificate signing request"))
        case .certificate:
            return .certificate(
                CertificateAnswer(
                    code: try p.readErrorCode(), message: try p.readTunnelString(field: "certificate message"),
                    certificate: try p.readTunnelBytes(field: "certificate")))
        case .certificateInstalled:
            return .certificateInstalled(try p.readTunnelString(field: "certificate serial"))
        case .renewRequested:
            return .renewRequested(try p.readTunnelString(field: "renewal reason"))
        case .watchers:
            let count: UInt8 = try p.readTunnelInteger("watcher count")
            guard count <= TunnelLimits.maxWatchersListed else {
                throw TunnelProtocolError(.protocolError, "\(count) watchers listed; at most \(TunnelLimits.maxWatchersListed) are allowed")
            }
            return .watchers(try (0..<count).map { _ in try p.readTunnelString(field: "watcher") })
        case .captureData:
            return .captureData(p.readSlice(length: p.readableBytes) ?? ByteBuffer())
        case .watchedSentence:
            let at: UInt64 = try p.readTunnelInteger("sentence time")
            let direction: UInt8 = try p.readTunnelInteger("sentence direction")
            guard direction == 1 || direction == 2 else {
                throw TunnelProtocolError(.protocolError, "sentence direction \(direction) is neither 1 (to the device) nor 2 (from it)")
            }
            return .watchedSentence(
                .init(
                    at: at, toDevice: direction == 1, line: try p.readTunnelString(field: "sentence line"),
                    name: try p.readTunnelString(field: "sentence name"), meaning: try p.readTunnelString(field: "sentence meaning")))
        case .diagnoseRequested:
            return .diagnoseRequested(try p.readTunnelString(field: "diagnostic request id"))
        case .diagnosticData:
            let requestID = try p.readTunnelString(field: "diagnostic request id")
            return .diagnosticData(DiagnosticData(requestID: requestID, data: p.readSlice(length: p.readableBytes)!))
        case .diagnosticEnd:
            return .diagnosticEnd(
                DiagnosticEnd(
                    requestID: try p.readTunnelString(field: "diagnostic request id"), code: try p.readErrorCode(),
                    message: try p.readTunnelString(field: "diagnostic message"), length: try p.readTunnelInteger("bundle length"),
                    sha256: try p.readTunnelBytes(field: "bundle sha-256")))
        case .serialControl:
            let op: UInt8 = try p.readTunnelInteger("serial control operation")
            return .serialControl(try SerialControl(operation: op, value: try p.readTunnelInteger("serial control value")))
        case .serialControlResult:
            let rawOp: UInt8 = try p.readTunnelInteger("serial control operation")
            guard let op = SerialControl.Operation(rawValue: rawOp) else {
                throw TunnelProtocolError(.protocolError, "serial control operation \(rawOp) is unknown")
            }
            let value: UInt32 = try p.readTunnelInteger("serial control value")
            let rawStatus: UInt8 = try p.readTunnelInteger("serial control status")
            guard let status = SerialControlResult.Status(rawValue: rawStatus) else {
                throw TunnelProtocolError(.protocolError, "serial control status \(rawStatus) is unknown")
            }
            return .serialControlResult(SerialControlResult(operation: op, value: value, status: status))
        case .serialState:
            return .serialState(
                SerialState(
                    lineState: try p.readTunnelInteger("line state"), modemState: try p.readTunnelInteger("modem state")))
        case .ping:
            return .ping(try p.readTunnelInteger("ping nonce"))
        case .pong:
            return .pong(try p.readTunnelInteger("pong nonce"))
        case .goingAway:
            return .goingAway(
                GoingAway(
                    code: try p.readErrorCode(), message: try p.readTunnelString(field: "going-away message")))
        }
    }

    /// Writes the message as one frame.
    public func write(to buffer: inout ByteBuffer) {
        if case .serialData(let data) = self {
            buffer.writeTunnelFrameHeader(
                type: TunnelFrameType.serialData.rawValue, flags: [], payloadLength: data.readableBytes)
            var data = data
            buffer.writeBuffer(&data)
            return
        }
        let headerIndex = buffer.writerIndex
        let flags: TunnelFrame.Flags = isIgnorable ? .ignorable : []
        buffer.writeTunnelFrameHeader(type: frameType.rawValue, flags: flags, payloadLength: 0)
        let length = writePayload(to: &buffer)
        buffer.setInteger(UInt32(length), at: headerIndex + 2)
    }

    private func writePayload(to b: inout ByteBuffer) -> Int {
        switch self {
        case .hello(let h):
            return b.writeInteger(h.version) + b.writeInteger(h.role.rawValue) + b.writeTunnelString(h.software)
                + b.writeTunnelString(h.sessionID) + b.writeTunnelString(h.credential)
        case .welcome(let w):
            return b.writeInteger(w.version) + b.writeTunnelString(w.identity) + b.writeInteger(w.pingIntervalMilliseconds)
        case .openSession(let o):
            return b.writeTunnelString(o.sessionID) + b.writeInteger(o.mode.rawValue) + b.writeSerialParameters(o.serial)
                + b.writeInteger(UInt8(o.takeOver ? 0x01 : 0x00))
        case .closeSession(let c):
            return b.writeTunnelString(c.sessionID) + b.writeInteger(c.code.rawValue) + b.writeTunnelString(c.message)
        case .sessionStatus(let s):
            return b.writeInteger(s.state.rawValue) + b.writeTunnelString(s.deviceID) + b.writeInteger(s.mode.rawValue)
        case .serialData(var data):
            return b.writeBuffer(&data)
        case .serialControl(let c):
            return b.writeInteger(c.operation.rawValue) + b.writeInteger(c.value)
        case .serialControlResult(let r):
            return b.writeInteger(r.operation.rawValue) + b.writeInteger(r.value) + b.writeInteger(r.status.rawValue)
        case .serialState(let s):
            return b.writeInteger(s.lineState) + b.writeInteger(s.modemState)
        case .ping(let nonce), .pong(let nonce):
            return b.writeInteger(nonce)
        case .goingAway(let g):
            return b.writeInteger(g.code.rawValue) + b.writeTunnelString(g.message)
        case .telemetry(var record):
            return b.writeBuffer(&record)
        case .renewCertificate(let request):
            return b.writeTunnelBytes(request)
        case .certificate(let answer):
            return b.writeInteger(answer.code.rawValue) + b.writeTunnelString(answer.message)
                + b.writeTunnelBytes(answer.certificate)
        case .certificateInstalled(let serial):
            return b.writeTunnelString(serial)
        case .renewRequested(let reason):
            return b.writeTunnelString(reason)
        case .watchers(let names):
            let listed = names.prefix(TunnelLimits.maxWatchersListed)
            return listed.reduce(b.writeInteger(UInt8(listed.count))) { written, name in written + b.writeTunnelString(name) }
        case .captureData(let bytes):
            var data = bytes
            return b.writeBuffer(&data)
        case .watchedSentence(let sentence):
            return b.writeInteger(sentence.at) + b.writeInteger(UInt8(sentence.toDevice ? 1 : 2))
                + b.writeTunnelString(sentence.line) + b.writeTunnelString(sentence.name) + b.writeTunnelString(sentence.meaning)
        case .diagnoseRequested(let requestID):
            return b.writeTunnelString(requestID)
        case .diagnosticData(let piece):
            var data = piece.data
            return b.writeTunnelString(piece.requestID) + b.writeBuffer(&data)
        case .diagnosticEnd(let end):
            return b.writeTunnelString(end.requestID) + b.writeInteger(end.code.rawValue) + b.writeTunnelString(end.message)
                + b.writeInteger(end.length) + b.writeTunnelBytes(end.sha256)
        }
    }
}

extension ByteBuffer {
    fileprivate mutating func readSessionMode() throws -> TunnelMessage.SessionMode {
        let raw: UInt8 = try readTunnelInteger("session mode")
        guard let mode = TunnelMessage.SessionMode(rawValue: raw) else {
            throw TunnelProtocolError(.protocolError, "session mode \(raw) is unknown, expected 1 or 2")
        }
        return mode
    }

    fileprivate mutating func readErrorCode() throws -> TunnelErrorCode {
        let raw: UInt16 = try readTunnelInteger("error code")
        // A newer peer may send a code this build does not know: keep the connection's
        // meaning ("it ended") rather than failing on it.
        return TunnelErrorCode(rawValue: raw) ?? .protocolError
    }

    fileprivate mutating func readSerialParameters() throws -> SerialParameters {
        let baud: UInt32 = try readTunnelInteger("baud rate")
        let dataBits: UInt8 = try readTunnelInteger("data bits")
        let rawParity: UInt8 = try readTunnelInteger("parity")
        let rawStop: UInt8 = try readTunnelInteger("stop bits")
        let rawFlow: UInt8 = try readTunnelInteger("flow control")
        guard (5...8).contains(dataBits),
            let parity = SerialParameters.Parity(rawValue: rawParity),
            let stop = SerialParameters.StopBits(rawValue: rawStop),
            let flow = SerialParameters.FlowControl(rawValue: rawFlow)
        else {
            throw TunnelProtocolError(
                .protocolError,
                "serial parameters data=\(dataBits) parity=\(rawParity) stop=\(rawStop) flow=\(rawFlow) are not valid")
        }
        return SerialParameters(baudRate: baud, dataBits: dataBits, parity: parity, stopBits: stop, flowControl: flow)
    }

    fileprivate mutating func writeSerialParameters(_ s: SerialParameters) -> Int {
        writeInteger(s.baudRate) + writeInteger(s.dataBits) + writeInteger(s.parity.rawValue)
            + writeInteger(s.stopBits.rawValue) + writeInteger(s.flowControl.rawValue)
    }
}
