import Crypto
import Foundation
import NIOCore
import SharedWire

/// The rules of diagnostic bundles on their way from agents to the relay, without I/O: which
/// request a piece belongs to, how much may pile up, when a request has waited too long, and
/// whether what arrived is what the agent says it sent. Given the time, never reading a clock.
///
/// Everything an agent sends is checked against a request this relay made of that same
/// device: a piece for another device's request, or for none, is dropped, so one agent can
/// neither fill the relay's memory nor write into another device's bundle.
struct DiagnosticUploads {
    /// Largest archive accepted. The agent's bundle is compressed text (its configuration,
    /// figures, an hour of log), far below this.
    static let maxBundleBytes = 16 << 20
    /// Requests waiting for their bundle at once, on this relay: at most this many archives
    /// are being received into memory.
    static let maxPending = 4
    /// How long a request waits for its bundle.
    static let timeout: TimeInterval = 600

    struct Pending {
        let deviceID: String
        let deadline: Date
        var received = ByteBuffer()
    }

    /// A request that ended: what to record for it.
    struct Finished: Equatable {
        let requestID: String
        let deviceID: String
        let outcome: DiagnosticOutcome
    }

    enum Refusal: Error, Equatable {
        /// This device already has a request waiting (its ID).
        case alreadyPending(String)
        /// As many requests as the relay takes are waiting.
        case tooManyPending
    }

    private(set) var pending: [String: Pending] = [:]

    /// Admits a new request for `deviceID`'s bundle, after ending those that waited too long.
    mutating func begin(requestID: String, deviceID: String, now: Date) -> Result<[Finished], Refusal> {
        let expired = expire(now: now)
        if let waiting = pending.first(where: { $0.value.deviceID == deviceID }) { return .failure(.alreadyPending(waiting.key)) }
        guard pending.count < Self.maxPending else { return .failure(.tooManyPending) }
        pending[requestID] = Pending(deviceID: deviceID, deadline: now + Self.timeout)
        return .success(expired)
    }

    /// A piece of a bundle from `deviceID`'s agent. Returns the request it ended, when the bundle
    /// grew past its bound; nil otherwise (a piece for no request of this device is dropped).
    mutating func received(_ piece: TunnelMessage.DiagnosticData, from deviceID: String) -> Finished? {
        guard var upload = pending[piece.requestID], upload.deviceID == deviceID else { return nil }
        guard upload.received.readableBytes + piece.data.readableBytes <= Self.maxBundleBytes else {
            pending[piece.requestID] = nil
            return Finished(
                requestID: piece.requestID, deviceID: deviceID,
                outcome: .failed("the bundle is larger than the relay accepts (\(Self.maxBundleBytes) bytes)"))
        }
        pending[piece.requestID] = nil  // so the buffer below is not shared, and is not copied
        var data = piece.data
        upload.received.writeBuffer(&data)
        pending[piece.requestID] = upload
        return nil
    }

    /// The end of `deviceID`'s upload: the bundle, when it is whole and matches the length and
    /// SHA-256 the agent sent; why not, otherwise. Nil for no request of this device.
    mutating func ended(_ end: TunnelMessage.DiagnosticEnd, from deviceID: String) -> Finished? {
        guard let upload = pending[end.requestID], upload.deviceID == deviceID else { return nil }
        pending[end.requestID] = nil
        func finished(_ outcome: DiagnosticOutcome) -> Finished {
            Finished(requestID: end.requestID, deviceID: deviceID, outcome: outcome)
        }
        guard end.code == .normal else {
            let why = end.message.isEmpty ? end.code.summary : end.message
            return finished(.failed("the agent could not make the bundle: \(AuditEntry.bounded(why, 512))"))
        }
        let content = Array(upload.received.readableBytesView)
        guard content.count == Int(end.length) else {
            return finished(.failed("the agent sent \(end.length) bytes but \(content.count) arrived"))
        }
        let digest = Array(SHA256.hash(data: content))
        guard digest == end.sha256 else {
            return finished(.failed("the bundle that arrived does not match the SHA-256 the agent sent"))
        }
        return finished(.received(content: content, sha256: digest.map { String(format: "%02x", $0) }.joined()))
    }

    /// `deviceID`'s agent disconnected: its waiting request fails.
    mutating func agentGone(deviceID: String) -> [Finished] {
        let gone = pending.filter { $0.value.deviceID == deviceID }.keys
        return gone.sorted().map { requestID in
            pending[requestID] = nil
            return Finished(
                requestID: requestID, deviceID: deviceID, outcome: .failed("the agent disconnected before the bundle was complete"))
        }
    }

    /// Ends the requests whose time is up.
    mutating func expire(now: Date) -> [Finished] {
        let late = pending.filter { $0.value.deadline <= now }
        return late.keys.sorted().map { requestID in
            pending[requestID] = nil
            return Finished(
                requestID: requestID, deviceID: late[requestID]!.deviceID,
                outcome: .failed("no bundle within \(Int(Self.timeout)) s of the request"))
        }
    }
}
