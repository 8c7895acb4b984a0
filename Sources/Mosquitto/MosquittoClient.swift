import CMosquitto
import Foundation

/// An MQTT client on libmosquitto: its own network thread connects, keeps the connection alive
/// and reconnects with a growing delay after a drop (also when the broker is down at `start()`);
/// everything it sees arrives on `events`.
///
/// `publish` and `subscribe` may be called from any thread while the network thread runs:
/// libmosquitto guards its queues and message IDs with its own mutexes.
///
/// What libmosquitto 2.0.11 does, checked against a real broker in MosquittoTests:
/// - A refused or dropped TCP connection, and a refused CONNACK, are retried forever with the
///   reconnect delay (its "exponential" backoff is quadratic: min × 1, 4, 9, … up to max). A
///   permanent CONNACK refusal (`isPermanentRefusal`) is retried too: call `stop()`.
/// - A failed TLS handshake (wrong CA, missing client certificate, TLS version) gives no
///   `.disconnected`, only `.failure` with OpenSSL's reason. Whether it is retried depends on
///   which thread ran the handshake: a blocking reconnect retries it, but on the non-blocking
///   path (`mosquitto_loop`) `MOSQ_ERR_TLS` is fatal and the network thread ends silently.
///   A caller that sees no `.connected` in time must stop and make a new client.
/// - A QoS 1 message published while disconnected stays queued and goes out after the
///   reconnect (`publish` returns its ID; `.published` follows). QoS 0 is refused instead.
public final class MosquittoClient: Sendable {
    public let options: MosquittoOptions
    /// Everything the network thread reports, in order. Finishes after `stop()`.
    public let events: AsyncStream<MosquittoEvent>

    /// libmosquitto's `struct mosquitto *`; libmosquitto locks its own state, and `lifecycle`
    /// keeps `start`/`stop` apart.
    nonisolated(unsafe) private let handle: OpaquePointer
    private let sink: Unmanaged<EventSink>
    private let lifecycle = NSLock()
    nonisolated(unsafe) private var stage = Stage.created

    private enum Stage { case created, running, stopped }

    /// libmosquitto's version, e.g. "2.0.11".
    public static var libraryVersion: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        _ = mosquitto_lib_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }

    /// `mosquitto_lib_init`, run once per process the first time a client is made (Swift
    /// initialises a static `let` exactly once, thread-safely).
    private static let library: Void = { _ = mosquitto_lib_init() }()

    /// Creates the client and applies `options`; nothing connects before `start()`.
    public init(options: MosquittoOptions) throws {
        _ = Self.library
        self.options = options
        let (events, continuation) = AsyncStream.makeStream(of: MosquittoEvent.self)
        self.events = events
        let sink = Unmanaged.passRetained(EventSink(continuation: continuation))
        guard let handle = mosquitto_new(options.clientID, options.cleanSession, sink.toOpaque()) else {
            sink.release()
            let reason =
                options.clientID == nil && !options.cleanSession
                ? "a persistent session (cleanSession false) needs a clientID" : String(cString: strerror(errno))
            throw MosquittoError(operation: "create client \(options.clientID ?? "(random id)")", code: 3, reason: reason)
        }
        self.handle = handle
        self.sink = sink
        do {
            try configure()
        } catch {
            mosquitto_destroy(handle)
            sink.release()
            throw error
        }
        installCallbacks()
    }

    deinit {
        stop()
        mosquitto_destroy(handle)
        sink.release()
    }

    /// Starts the network thread and the first connection attempt. A broker that refuses or
    /// cannot be reached now is no error: the thread keeps retrying, and `.connected` says when
    /// it got through.
    public func start() throws {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        guard stage == .created else {
            throw MosquittoError(operation: "start", code: 3, reason: "the client was already started")
        }
        // The thread first, then the connect (documented as allowed): started the other way
        // round, libmosquitto 2.0.11 never retries a first connect that failed at once
        // (broker down), which MosquittoOutageTests checks.
        try Self.check(mosquitto_loop_start(handle), "start the network thread")
        stage = .running
        let connect = mosquitto_connect_async(handle, options.host, Int32(clamping: options.port), Int32(clamping: options.keepalive))
        // Anything but bad parameters (refused, unreachable, TLS) is the network thread's to retry.
        if connect == MOSQ_ERR_INVAL.rawValue || connect == MOSQ_ERR_NOMEM.rawValue {
            throw Self.error(connect, "connect to \(options.host):\(options.port)")
        }
    }

    /// Sends a DISCONNECT, waits for the network thread to end and finishes `events`.
    /// Safe to call more than once; the client cannot be started again.
    public func stop() {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        if stage == .running {
            // Fails with MOSQ_ERR_NO_CONN while reconnecting, but still tells the thread to end.
            _ = mosquitto_disconnect(handle)
            _ = mosquitto_loop_stop(handle, false)
        }
        if stage != .stopped { sink.takeUnretainedValue().continuation.finish() }
        stage = .stopped
    }

    /// Queues a message and returns its message ID; `.published` with that ID follows when the
    /// broker acknowledged it (QoS 1), also when it was queued while disconnected. Throws when
    /// libmosquitto refuses it, e.g. a QoS 0 message while not connected.
    @discardableResult
    public func publish(topic: String, payload: some Collection<UInt8>, qos: Int32 = 1, retain: Bool = false) throws -> Int32 {
        let bytes = Array(payload)
        guard let length = Int32(exactly: bytes.count) else {
            throw MosquittoError(
                operation: "publish to \(topic)", code: MOSQ_ERR_PAYLOAD_SIZE.rawValue, reason: "payload of \(bytes.count) bytes")
        }
        var messageID: Int32 = 0
        let result = bytes.withUnsafeBytes { buffer in
            mosquitto_publish(handle, &messageID, topic, length, buffer.baseAddress, qos, retain)
        }
        // For QoS 1 and 2, MOSQ_ERR_NO_CONN means libmosquitto queued the message for the reconnect.
        if qos > 0 && result == MOSQ_ERR_NO_CONN.rawValue && messageID != 0 { return messageID }
        try Self.check(result, "publish to \(topic)")
        return messageID
    }

    /// Publishes `payload` as UTF-8.
    @discardableResult
    public func publish(topic: String, payload: String, qos: Int32 = 1, retain: Bool = false) throws -> Int32 {
        try publish(topic: topic, payload: Array(payload.utf8), qos: qos, retain: retain)
    }

    /// Subscribes to `filter` and returns the message ID that `.subscribed` will carry.
    @discardableResult
    public func subscribe(_ filter: String, qos: Int32 = 1) throws -> Int32 {
        var messageID: Int32 = 0
        try Self.check(mosquitto_subscribe(handle, &messageID, filter, qos), "subscribe to \(filter)")
        return messageID
    }

    private func configure() throws {
        if let username = options.username {
            try Self.check(mosquitto_username_pw_set(handle, username, options.password), "set the user name \(username)")
        }
        if let tls = options.tls {
            try Self.check(
                mosquitto_tls_set(handle, tls.caFile, nil, tls.certificateFile, tls.keyFile, nil),
                "use the CA file \(tls.caFile) and client certificate \(tls.certificateFile ?? "(none)")")
            // "tlsv1.2" is a minimum, not a pin: libmosquitto 2.0 turns it into SSL_OP_NO_TLSv1 |
            // SSL_OP_NO_TLSv1_1 on a TLS_client_method() context, so OpenSSL still offers and
            // negotiates TLS 1.3, and a server that speaks only TLS 1.1 fails the handshake.
            // MosquittoTLSTests checks both against real servers.
            try Self.check(
                mosquitto_tls_opts_set(handle, 1 /* SSL_VERIFY_PEER */, "tlsv1.2", nil), "require TLS 1.2 or newer")
        }
        try Self.check(
            mosquitto_int_option(handle, MOSQ_OPT_SEND_MAXIMUM, Int32(clamping: options.maxInflight)),
            "allow \(options.maxInflight) messages in flight (1...65535)")
        try Self.check(mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, options.noDelay ? 1 : 0), "set TCP_NODELAY")
        guard options.reconnectDelayMin >= 1, options.reconnectDelayMax >= options.reconnectDelayMin else {
            throw MosquittoError(
                operation: "set the reconnect delay \(options.reconnectDelayMin)...\(options.reconnectDelayMax) s",
                code: MOSQ_ERR_INVAL.rawValue, reason: "expected 1 <= reconnectDelayMin <= reconnectDelayMax")
        }
        try Self.check(
            mosquitto_reconnect_delay_set(
                handle, UInt32(options.reconnectDelayMin), UInt32(options.reconnectDelayMax), true),
            "set the reconnect delay")
    }

    /// The callbacks run on the network thread: each copies its arguments into an event.
    private func installCallbacks() {
        mosquitto_connect_callback_set(handle) { _, userdata, code in
            EventSink.yield(.connected(code: code, reason: String(cString: mosquitto_connack_string(code))), to: userdata)
        }
        mosquitto_disconnect_callback_set(handle) { _, userdata, code in
            let reason = code == 0 ? "disconnected on request" : String(cString: mosquitto_strerror(code))
            EventSink.yield(.disconnected(code: code, reason: reason), to: userdata)
        }
        mosquitto_publish_callback_set(handle) { _, userdata, messageID in
            EventSink.yield(.published(messageID: messageID), to: userdata)
        }
        mosquitto_message_callback_set(handle) { _, userdata, message in
            guard let message = message?.pointee else { return }
            let topic = message.topic.map { String(cString: $0) } ?? ""
            let payload =
                message.payload.map {
                    Array(UnsafeRawBufferPointer(start: $0, count: Int(message.payloadlen)))
                } ?? []
            EventSink.yield(.message(topic: topic, payload: payload), to: userdata)
        }
        mosquitto_subscribe_callback_set(handle) { _, userdata, messageID, count, granted in
            let grantedQoS = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? []
            EventSink.yield(.subscribed(messageID: messageID, grantedQoS: grantedQoS), to: userdata)
        }
        mosquitto_log_callback_set(handle) { _, userdata, level, text in
            guard level == MOSQ_LOG_ERR, let text else { return }
            EventSink.yield(.failure(message: String(cString: text)), to: userdata)
        }
    }

    private static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws {
        if result != MOSQ_ERR_SUCCESS.rawValue { throw error(result, operation()) }
    }

    private static func error(_ result: Int32, _ operation: String) -> MosquittoError {
        let reason =
            result == MOSQ_ERR_ERRNO.rawValue
            ? String(cString: strerror(errno)) : String(cString: mosquitto_strerror(result))
        return MosquittoError(operation: operation, code: result, reason: reason)
    }
}

/// The one thing handed to libmosquitto as `userdata`: the continuation the callbacks feed.
private final class EventSink: Sendable {
    let continuation: AsyncStream<MosquittoEvent>.Continuation

    init(continuation: AsyncStream<MosquittoEvent>.Continuation) { self.continuation = continuation }

    static func yield(_ event: MosquittoEvent, to userdata: UnsafeMutableRawPointer?) {
        guard let userdata else { return }
        Unmanaged<EventSink>.fromOpaque(userdata).takeUnretainedValue().continuation.yield(event)
    }
}
