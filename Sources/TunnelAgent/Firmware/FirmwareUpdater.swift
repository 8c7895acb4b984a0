import AgentConfig
import Foundation
import Logging
import Mosquitto
import ProgramSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Firmware over the air, ThingsBoard's way, for the agent's own executable: follows the fw_*
/// shared attributes, downloads the image chunk by chunk (resumable, paced), checks its size,
/// checksum, signature and machine, installs it in a slot and asks for the restart into it
/// (`FirmwareLauncher` starts it on trial), reporting `fw_state` all along. The new version
/// reports UPDATED and confirms its trial; a failure at any step leaves the running version
/// as it is and reports FAILED with `fw_error`.
actor FirmwareUpdater {
    private let settings: AgentSettings.OTA?
    private let slots: FirmwareSlots
    /// The slot this process runs; nil for the packaged executable.
    private let running: FirmwareSlots.Slot?
    private let installed: @Sendable () -> Void
    private let logger: Logger

    private var client: MosquittoClient?
    /// Waits until a chunk request may go within the uplink's pacing, and counts it.
    private var pace: (@Sendable () async -> Void)?
    /// The fw_* shared attributes as last received.
    private var values: [String: JSONValue] = [:]
    private var download: FirmwareDownload?
    private var partPath: String?
    private var nextRequestID = 1
    /// Problems with assignments that are not valid targets, reported once each.
    private var reportedProblems: Set<String> = []
    /// What to do when a message is acknowledged.
    private var onAcknowledgement: [Int32: Acknowledged] = [:]
    /// Data points of the reports not yet acknowledged, so the uplink's pacer counts them as telemetry.
    private var reportsInFlight: [Int32: Int] = [:]
    /// Chunk requests not yet acknowledged: the pacer counted them when they went.
    private var chunkRequestsInFlight: Set<Int32> = []
    private var installing = false
    /// Bytes appended to the download since it was last flushed.
    private var unflushed = 0

    private enum Acknowledged {
        case confirmTrial(FirmwareTrial)
        case outcomeReported
        case updatingReported
    }

    /// Bytes of a download written between flushes to disk.
    static let flushInterval = 1 << 20
    /// Room kept free beside an image on the state folder's file system.
    static let spareBytes = 16 * 1024 * 1024

    init(
        settings: AgentSettings.OTA?, stateDirectory: String, runningSlot: String?, installed: @escaping @Sendable () -> Void,
        logger: Logger
    ) {
        self.settings = settings
        let slots = FirmwareSlots(stateDirectory: stateDirectory)
        self.slots = slots
        self.running = runningSlot.flatMap { slots.slot($0) }
        self.installed = installed
        self.logger = logger
    }

    var enabled: Bool { settings?.enabled == true }
    var currentTitle: String { running?.manifest.title ?? FirmwareTarget.ownTitle }
    var currentVersion: String { running?.manifest.version ?? ProductVersion.number }

    // MARK: Connection

    /// After every CONNACK: the current version, how the last update ended, and the download
    /// resumed; each chunk request waits for `pace`.
    func connected(_ client: MosquittoClient, pace: @escaping @Sendable () async -> Void) {
        self.client = client
        self.pace = pace
        var report = FirmwareTelemetry(currentTitle: currentTitle, currentVersion: currentVersion)
        var acknowledged: Acknowledged?
        if let trial = slots.trial, let running, trial.slot == running.name {
            report.state = "UPDATED"
            acknowledged = .confirmTrial(trial)
        } else if let outcome = slots.outcome {
            report.state = outcome.state
            report.error = outcome.error
            acknowledged = .outcomeReported
        }
        if let id = publish(report), let acknowledged { onAcknowledgement[id] = acknowledged }
        if var download {
            let step = download.resume(requestID: takeRequestID(), now: .now)
            self.download = download
            carryOut(step)
        }
    }

    func disconnected() {
        client = nil
        download?.pause()
        onAcknowledgement.removeAll()
        // libmosquitto sends unacknowledged reports again after a reconnect, under the same IDs;
        // a handful at most, kept bounded all the same.
        if reportsInFlight.count > 64 { reportsInFlight.removeAll() }
        chunkRequestsInFlight.removeAll()
    }

    /// A PUBACK: carries out what waited for it, and returns what the message costs in the
    /// uplink's pacer: a firmware report counts as telemetry for the server's rate limits, a
    /// chunk request nothing more (counted when it went); nil when it was not firmware's.
    func acknowledged(_ messageID: Int32) -> TelemetryPacer.Cost? {
        defer { afterAcknowledgement(messageID) }
        if chunkRequestsInFlight.remove(messageID) != nil { return TelemetryPacer.Cost(messages: 0) }
        return reportsInFlight.removeValue(forKey: messageID).map { .telemetry(dataPoints: $0, records: 0) }
    }

    private func afterAcknowledgement(_ messageID: Int32) {
        switch onAcknowledgement.removeValue(forKey: messageID) {
        case .confirmTrial(let trial):
            slots.commit(trial)
            logger.notice("Firmware update confirmed", metadata: ["fw.version": "\(trial.target.version)"])
        case .outcomeReported:
            slots.clearOutcome()
        case .updatingReported, nil:
            break
        }
    }

    // MARK: Attributes

    /// Shared attributes: an update (changed keys, or `deleted`) or the answer to the request at connect.
    func attributes(_ attributes: JSONValue, isResponse: Bool) {
        guard case .object(let members) = attributes else { return }
        if isResponse { values.removeAll() }
        for member in members where FirmwareTarget.keys.contains(member.key) { values[member.key] = member.value }
        if case .array(let deleted)? = attributes["deleted"] {
            for key in deleted.compactMap(\.stringValue) { values.removeValue(forKey: key) }
        }
        guard isResponse || members.contains(where: { FirmwareTarget.keys.contains($0.key) || $0.key == "deleted" }) else { return }
        evaluate()
    }

    private func evaluate() {
        switch FirmwareTarget.read(values) {
        case .unassigned:
            cancelDownload()
        case .invalid(let reason):
            cancelDownload()
            guard reportedProblems.insert(reason).inserted else { return }
            logger.warning("Firmware assignment refused", metadata: ["reason": "\(reason)"])
            publish(.state("FAILED", error: reason))
        case .assigned(let target):
            consider(target)
        }
    }

    private func consider(_ target: FirmwareTarget) {
        if target.title == currentTitle && target.version == currentVersion {
            cancelDownload()
            return
        }
        guard slots.trial == nil, !installing, download?.target != target, target != slots.failedTarget else { return }
        cancelDownload()
        guard let settings, settings.enabled else {
            return fail(target, "updates over the air are off on this gateway (settings.json ota.enabled)")
        }
        guard target.title == FirmwareTarget.ownTitle else {
            return fail(
                target, "the package \(target.title) is for another kind of device; this gateway takes \(FirmwareTarget.ownTitle) packages")
        }
        do {
            try start(target, settings: settings)
        } catch {
            fail(target, "\(error)")
        }
    }

    private func start(_ target: FirmwareTarget, settings: AgentSettings.OTA) throws {
        let path = try slots.download(of: target)
        slots.removeDownloads(keeping: path)
        let onDisk = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let kept = min(onDisk, target.size) / settings.chunkSize * settings.chunkSize
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard truncate(path, off_t(kept)) == 0 else {
            throw FirmwareFailure("the download file cannot be prepared: \(String(cString: strerror(errno)))")
        }
        let free = try freeBytes()
        guard free >= target.size - kept + Self.spareBytes else {
            throw FirmwareFailure(
                "not enough disk space: the image needs \(target.size - kept) bytes and \(Self.spareBytes) spare, \(free) are free")
        }
        logger.notice(
            "Firmware download started",
            metadata: [
                "fw.title": "\(target.title)", "fw.version": "\(target.version)", "fw.size": "\(target.size)", "resumed.at": "\(kept)",
            ])
        partPath = path
        download = FirmwareDownload(target: target, chunkSize: settings.chunkSize, received: kept, requestID: 0)
        publish(.state("DOWNLOADING"))
        guard client != nil, var download else { return }
        let step = download.resume(requestID: takeRequestID(), now: .now)
        self.download = download
        carryOut(step)
    }

    // MARK: Chunks

    /// A message on the firmware topics.
    func message(topic: String, payload: [UInt8]) {
        if topic == FirmwareTopic.errors {
            guard let target = download?.target else { return }
            return fail(target, "the server refused the download: \(String(decoding: payload.prefix(200), as: UTF8.self))")
        }
        guard let (requestID, chunk) = FirmwareTopic.response(topic), var download else { return }
        let step = download.receive(requestID: requestID, chunk: chunk, bytes: payload, now: .now)
        self.download = download
        carryOut(step)
    }

    /// Called every second: overdue chunks are asked for again.
    func tick() {
        guard client != nil, var download else { return }
        let step = download.tick(now: .now)
        self.download = download
        carryOut(step)
    }

    private func carryOut(_ step: FirmwareDownload.Step) {
        guard let target = download?.target else { return }
        switch step {
        case .ignore:
            break
        case .fail(let reason):
            fail(target, reason)
        case .request(let requestID, let chunk):
            Task { await self.request(requestID, chunk: chunk) }
        case .append(let bytes, let after):
            do {
                try append(bytes, flush: after == .complete)
            } catch {
                return fail(target, "the image cannot be written: \(error)")
            }
            switch after {
            case .complete:
                Task { await self.finish(target) }
            case .request(let requestID, let chunk):
                let interval = settings?.chunkIntervalMilliseconds ?? 0
                Task {
                    if interval > 0 { try? await Task.sleep(for: .milliseconds(interval)) }
                    await self.request(requestID, chunk: chunk)
                }
            }
        }
    }

    /// Asks for `chunk` once the uplink's pacing lets a request go, unless the download moved on meanwhile.
    private func request(_ requestID: Int, chunk: Int) async {
        guard let pace, download?.requestID == requestID else { return }
        await pace()
        guard let client, let download, download.requestID == requestID else { return }
        guard
            let id = try? client.publish(topic: FirmwareTopic.request(requestID, chunk: chunk), payload: String(download.chunkSize), qos: 1)
        else { return }
        if chunkRequestsInFlight.count > 64 { chunkRequestsInFlight.removeAll() }
        chunkRequestsInFlight.insert(id)
    }

    /// Appends to the download; flushed to disk every `flushInterval` bytes and at the end, so
    /// a power cut loses at most that much (the download resumes from what is on disk, and the
    /// checksum catches anything a crash damaged). Flushing every chunk cost more than the
    /// transfer itself: about 20 ms a chunk on the test machine's disk.
    private func append(_ bytes: [UInt8], flush: Bool) throws {
        guard let partPath else { return }
        guard let handle = FileHandle(forWritingAtPath: partPath) else { throw FirmwareFailure("\(partPath) cannot be opened") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: bytes)
        unflushed += bytes.count
        if flush || unflushed >= Self.flushInterval {
            try handle.synchronize()
            unflushed = 0
        }
    }

    // MARK: Verify and install

    private func finish(_ target: FirmwareTarget) async {
        guard let partPath, download?.target == target, !installing else { return }
        installing = true
        defer { installing = false }
        download = nil
        self.partPath = nil
        logger.notice("Firmware downloaded", metadata: ["fw.version": "\(target.version)", "fw.size": "\(target.size)"])
        publish(.state("DOWNLOADED"))
        do {
            try FirmwareImageCheck.verify(partPath, target: target, publicKey: settings?.publicKey ?? "")
            publish(.state("VERIFIED"))
            try FirmwareImageCheck.runsHere(partPath)
            let trialSeconds = settings?.trialSeconds ?? AgentSettings.OTA().trialSeconds
            let trial = try await slots.install(
                image: partPath, target: target, trialSeconds: trialSeconds, now: Date().timeIntervalSince1970,
                check: FirmwareImageCheck.starts)
            logger.notice("Firmware installed; restarting into it", metadata: ["fw.version": "\(target.version)", "slot": "\(trial.slot)"])
            await reportUpdating()
            installed()
        } catch {
            try? FileManager.default.removeItem(atPath: partPath)
            fail(target, "\(error)")
        }
    }

    /// UPDATING, and a moment for its acknowledgement before the restart.
    private func reportUpdating() async {
        guard let id = publish(.state("UPDATING")) else { return }
        onAcknowledgement[id] = .updatingReported
        for _ in 0..<50 where onAcknowledgement[id] != nil {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: Failing

    private func fail(_ target: FirmwareTarget, _ reason: String) {
        logger.error("Firmware update failed", metadata: ["fw.version": "\(target.version)", "reason": "\(reason)"])
        cancelDownload()
        slots.recordFailure(target)
        publish(.state("FAILED", error: reason))
    }

    private func cancelDownload() {
        guard download != nil || partPath != nil else { return }
        download = nil
        partPath = nil
        slots.removeDownloads()
    }

    @discardableResult
    private func publish(_ telemetry: FirmwareTelemetry) -> Int32? {
        guard let client, let id = try? client.publish(topic: ThingsBoardTopic.telemetry, payload: UplinkJSON.text(telemetry), qos: 1)
        else { return nil }
        reportsInFlight[id] = telemetry.dataPoints
        return id
    }

    private func takeRequestID() -> Int {
        defer { nextRequestID += 1 }
        return nextRequestID
    }

    private func freeBytes() throws -> Int {
        var stats = statvfs()
        guard statvfs(slots.root, &stats) == 0 else {
            throw FirmwareFailure("the free space of \(slots.root) cannot be read: \(String(cString: strerror(errno)))")
        }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }
}
