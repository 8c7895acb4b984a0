/// One image's download, chunk by chunk over ThingsBoard's `v2/fw` topics: which chunk to ask
/// for next, and what each answer means. One chunk is asked for at a time; an answer to an
/// earlier request (another request ID, another chunk) is ignored. Pure: the caller keeps the
/// bytes on disk, reads the clock and sends the requests.
struct FirmwareDownload: Sendable, Equatable {
    let target: FirmwareTarget
    let chunkSize: Int
    /// Bytes of the image received (and on disk).
    private(set) var received: Int
    /// The request ID of the chunk asked for; a new one after each reconnect.
    private(set) var requestID: Int
    /// When the chunk asked for is given up on and asked for again.
    private(set) var deadline: ContinuousClock.Instant?
    /// Requests of the current chunk that timed out.
    private(set) var retries = 0

    /// How long a chunk may take before it is asked for again.
    static let chunkTimeout: Duration = .seconds(30)
    /// Times a chunk is asked for again before the download fails.
    static let maxRetries = 5

    /// A download of `target` that already has `received` bytes on disk (rounded down by the
    /// caller to whole chunks).
    init(target: FirmwareTarget, chunkSize: Int, received: Int, requestID: Int) {
        self.target = target
        self.chunkSize = chunkSize
        self.received = received
        self.requestID = requestID
    }

    var nextChunk: Int { received / chunkSize }
    var isComplete: Bool { received == target.size }

    enum Step: Equatable {
        /// Ask for chunk `chunk` under `requestID`.
        case request(requestID: Int, chunk: Int)
        /// Keep these bytes; then `request` the next chunk, or the image is complete.
        case append([UInt8], then: After)
        /// The download cannot succeed.
        case fail(String)
        /// Not for this download.
        case ignore

        enum After: Equatable {
            case request(requestID: Int, chunk: Int)
            case complete
        }
    }

    /// The connection came up (again): ask for the chunk after what is on disk, under a new ID.
    mutating func resume(requestID: Int, now: ContinuousClock.Instant) -> Step {
        self.requestID = requestID
        retries = 0
        deadline = now + Self.chunkTimeout
        return .request(requestID: requestID, chunk: nextChunk)
    }

    /// Chunk `chunk` of request `requestID` arrived with `bytes`.
    mutating func receive(requestID: Int, chunk: Int, bytes: [UInt8], now: ContinuousClock.Instant) -> Step {
        guard requestID == self.requestID, chunk == nextChunk, deadline != nil else { return .ignore }
        if bytes.isEmpty {
            deadline = nil
            return isComplete ? .append([], then: .complete) : .fail(truncated)
        }
        guard bytes.count <= chunkSize else {
            return .fail("chunk \(chunk) has \(bytes.count) bytes, more than the \(chunkSize) asked for")
        }
        guard received + bytes.count <= target.size else {
            return .fail("the image is longer than its fw_size of \(target.size) bytes")
        }
        received += bytes.count
        retries = 0
        if isComplete {
            deadline = nil
            return .append(bytes, then: .complete)
        }
        guard bytes.count == chunkSize else {
            deadline = nil
            return .fail(truncated)
        }
        deadline = now + Self.chunkTimeout
        return .append(bytes, then: .request(requestID: requestID, chunk: nextChunk))
    }

    /// The time is `now`: the chunk asked for again when it is overdue, or the download failed.
    mutating func tick(now: ContinuousClock.Instant) -> Step {
        guard let deadline, now >= deadline else { return .ignore }
        retries += 1
        guard retries <= Self.maxRetries else {
            self.deadline = nil
            return .fail("chunk \(nextChunk) did not arrive after \(Self.maxRetries + 1) requests")
        }
        self.deadline = now + Self.chunkTimeout
        return .request(requestID: requestID, chunk: nextChunk)
    }

    /// The connection went down: nothing is awaited until `resume`.
    mutating func pause() {
        deadline = nil
    }

    private var truncated: String {
        "the download ended at \(received) of \(target.size) bytes (fw_size): the image is truncated"
    }
}
