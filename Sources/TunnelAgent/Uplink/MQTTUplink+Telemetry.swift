import AgentConfig
import Logging
import Mosquitto

/// The telemetry side of the uplink: the server's session limits, asked at every connect, and
/// the pump that sends the queue within them. The rules are pure types (`SessionLimits`,
/// `TelemetryPacer`, `TelemetrySplitter`, `TelemetryPublisher`); this is the loop around them.
extension MQTTUplink {
    /// Where the session limits stand on this connection.
    enum LimitsState: Sendable {
        /// Asked (client-side RPC `requestID`) at `since`; telemetry waits for the answer.
        case asking(since: Double, requestID: Int)
        /// In effect: the server's answer, or `SessionLimits.conservative` without one.
        case known(SessionLimits)
    }

    /// How long a server has to answer `getSessionLimits` before the conservative limits apply
    /// (servers older than 3.6 never answer).
    static let limitsAnswerTimeout = 3.0
    /// The client-side RPC IDs of `getSessionLimits` start here, far from the small numbers
    /// ThingsBoard gives server-side RPCs: on a plain broker both share the RPC topics.
    static let limitsRequestBase = 1_000_000_000
    static let limitsMethod = "getSessionLimits"

    /// The origin of `now`.
    private static let clockOrigin = ContinuousClock.now

    /// Seconds on a monotonic clock, the time the pure rules are given.
    static var now: Double {
        let elapsed = ContinuousClock.now - clockOrigin
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    // MARK: Session limits

    /// After every CONNACK: subscribe to client-side RPC answers and ask for the session limits.
    func askSessionLimits(_ client: MosquittoClient, generation: Int) {
        let requestID = Self.limitsRequestBase + generation
        state.withLockedValue { $0.limits = .asking(since: Self.now, requestID: requestID) }
        do {
            _ = try client.subscribe(ThingsBoardTopic.rpcResponses, qos: 1)
            _ = try client.publish(
                topic: ThingsBoardTopic.clientRPCRequest(requestID), payload: UplinkJSON.text(ClientRPCRequest(method: Self.limitsMethod)),
                qos: 1)
        } catch {
            logger.warning("Session limits could not be asked for", metadata: ["error": "\(error)"])
        }
    }

    /// Handles `topic` when it concerns the session limits request; false for anything else.
    /// The answer to this connection's request sets the limits, also after the timeout.
    func handleLimitsMessage(topic: String, payload: [UInt8]) -> Bool {
        if isOwnLimitsRequest(topic: topic, payload: payload) { return true }  // a plain broker's echo
        guard topic.hasPrefix(ThingsBoardTopic.rpcResponsePrefix),
            let id = Int(topic.dropFirst(ThingsBoardTopic.rpcResponsePrefix.count)), id >= Self.limitsRequestBase
        else { return false }
        guard id == Self.limitsRequestBase + state.withLockedValue({ $0.generation }) else { return true }  // an old connection's
        do {
            let limits = try SessionLimits.parse(payload)
            setLimits(limits)
            logger.info(
                "Session limits from the server",
                metadata: [
                    "max_payload_size": "\(limits.maxPayloadSize)", "max_inflight": "\(limits.maxInflightMessages)",
                    "messages": "\(limits.messages)", "telemetry_messages": "\(limits.telemetryMessages)",
                    "telemetry_data_points": "\(limits.telemetryDataPoints)",
                ])
        } catch {
            logger.warning("Session limits answer unusable; conservative limits apply", metadata: ["error": "\(error)"])
            setLimits(.conservative)
        }
        return true
    }

    /// A request of ours echoed back after its answer (a plain broker delivers it to us too).
    private func isOwnLimitsRequest(topic: String, payload: [UInt8]) -> Bool {
        guard topic.hasPrefix(ThingsBoardTopic.rpcRequestPrefix),
            let id = Int(topic.dropFirst(ThingsBoardTopic.rpcRequestPrefix.count)), id >= Self.limitsRequestBase
        else { return false }
        return (try? JSONParser.parse(payload))?["method"]?.stringValue == Self.limitsMethod
    }

    private func setLimits(_ limits: SessionLimits) {
        state.withLockedValue {
            $0.limits = .known(limits)
            $0.pacer.update(limits: limits, publishRate: settings.publishRate)
        }
        committed.signal()
    }

    /// The limits in effect at `now`; nil while the answer may still come.
    private func limitsInEffect(now: Double) -> SessionLimits? {
        switch state.withLockedValue({ $0.limits }) {
        case .known(let limits):
            return limits
        case .asking(let since, _) where now - since >= Self.limitsAnswerTimeout:
            logger.info(
                "No session limits from the server; conservative limits apply",
                metadata: ["timeout.seconds": "\(Self.limitsAnswerTimeout)"])
            setLimits(.conservative)
            return .conservative
        case .asking:
            return nil
        }
    }

    // MARK: The pump

    /// Sends the queue oldest first, each message within the limits in effect; a thin loop.
    func pump(_ client: MosquittoClient) async {
        while !Task.isCancelled {
            guard state.withLockedValue({ $0.connected }) else {
                await committed.wait()
                continue
            }
            guard let limits = limitsInEffect(now: Self.now) else {
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            let (cursor, generation, shape) = state.withLockedValue {
                ($0.publisher.cursor, $0.generation, TelemetryPublisher.shape(limits: limits, pacer: $0.pacer))
            }
            let records: [QueuedRecord]
            do {
                records = try await queue.oldest(after: cursor, limit: shape.maxRecords)
            } catch {
                logger.error("Telemetry queue unreadable", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            let messages = state.withLockedValue { $0.publisher.messages(for: records, shape: shape) }
            guard !messages.isEmpty else {
                await committed.wait()
                continue
            }
            if let first = messages.first, first.parts != nil {
                logger.notice(
                    "Telemetry record too big for one message; sent in parts",
                    metadata: [
                        "sequence": "\(first.records.first?.sequence ?? 0)", "parts": "\(messages.count)",
                        "dropped_keys": "\(first.droppedKeys)",
                    ])
            }
            for (index, message) in messages.enumerated() {
                let sent = await send(
                    message, isLastPart: index == messages.count - 1, client: client, limits: limits, cursor: cursor,
                    generation: generation)
                guard sent else { break }
            }
        }
    }

    /// Sends `message` once the in-flight window has room and every rate window allows it;
    /// false when the connection or the cursor moved on (the batch is read again).
    private func send(
        _ message: TelemetrySplitter.Message, isLastPart: Bool, client: MosquittoClient, limits: SessionLimits, cursor: Int64,
        generation: Int
    ) async -> Bool {
        let cost = TelemetryPacer.Cost.telemetry(
            dataPoints: message.dataPoints, records: message.parts == nil ? message.records.count : (isLastPart ? 1 : 0))
        while !Task.isCancelled {
            enum Step {
                case stale, full, wait(Double), sent, failed
            }
            let now = Self.now
            let step = state.withLockedValue { state -> Step in
                guard state.connected, state.generation == generation, state.publisher.cursor == cursor else { return .stale }
                guard state.publisher.hasRoom(serverLimit: limits.maxInflightMessages) else { return .full }
                let at = state.pacer.earliest(cost, now: now) ?? now
                guard at <= now else { return .wait(at - now) }
                // Recorded under the lock before the PUBACK can be handled.
                guard let messageID = try? client.publish(topic: ThingsBoardTopic.telemetry, payload: message.text, qos: 1) else {
                    return .failed
                }
                state.publisher.sent(message, messageID: messageID, isLastPart: isLastPart)
                state.pacer.record(cost, at: now)
                return .sent
            }
            switch step {
            case .sent: return true
            case .stale: return false
            case .full: await committed.wait()
            case .wait(let seconds): try? await Task.sleep(for: .seconds(seconds))
            case .failed:
                // libmosquitto refused it: not a busy loop.
                try? await Task.sleep(for: .milliseconds(50))
                return false
            }
        }
        return false
    }

    /// Waits until a background message (a firmware chunk request) fits its share of the
    /// windows (`TelemetryPacer.backgroundShare`), and counts it as sent: a download then never
    /// takes the room telemetry needs, nor breaks the server's limits itself.
    func paceBackgroundMessage() async {
        while !Task.isCancelled {
            let now = Self.now
            let wait = state.withLockedValue { state -> Double? in
                let at = state.pacer.earliest(.background, now: now) ?? now
                guard at <= now else { return at - now }
                state.pacer.record(.background, at: now)
                return nil
            }
            guard let wait else { return }
            try? await Task.sleep(for: .seconds(wait))
        }
    }
}
