import AgentConfig
import NIOCore
import SharedWire

/// Turns the bytes crossing the serial line into telemetry records: G1 lines are split per
/// direction, decoded as `params_config.json` says, and each sentence that carries values
/// becomes one record. Per-cell lists are joined so each record holds the whole list so far.
/// Pure apart from its own state: the caller passes the time.
struct TelemetryTap {
    private var builder: TelemetryRecordBuilder
    private var fromBMS = NIOSingleStepByteToMessageProcessor(G1LineDecoder())
    private var fromClient = NIOSingleStepByteToMessageProcessor(G1LineDecoder())
    /// The BMS's latest VR1 (hardware, serial number, firmware).
    private(set) var version: G1Version?
    /// Sentences seen, and lines that were not valid sentences (noise, CRC errors).
    private(set) var sentences = 0
    private(set) var invalidLines = 0

    /// The latest text value of each key, for client attributes.
    var texts: [String: String] { builder.texts }

    init(decoder: TelemetryDecoder) {
        builder = TelemetryRecordBuilder(decoder: decoder)
    }

    /// A new configuration: decoding continues with it from the next sentence.
    mutating func replace(decoder: TelemetryDecoder) {
        builder.replace(decoder: decoder)
    }

    /// The records in bytes the BMS sent, at `timestamp` (milliseconds since 1970).
    mutating func bmsBytes(_ bytes: ByteBuffer, at timestamp: Int64) -> [TelemetryRecord] {
        var processor = fromBMS
        defer { fromBMS = processor }
        return records(from: &processor, bytes, at: timestamp)
    }

    /// The records in bytes a session sent towards the BMS (writes name values too).
    mutating func clientBytes(_ bytes: ByteBuffer, at timestamp: Int64) -> [TelemetryRecord] {
        var processor = fromClient
        defer { fromClient = processor }
        return records(from: &processor, bytes, at: timestamp)
    }

    private mutating func records(
        from processor: inout NIOSingleStepByteToMessageProcessor<G1LineDecoder>, _ bytes: ByteBuffer, at timestamp: Int64
    ) -> [TelemetryRecord] {
        var outputs: [G1LineDecoder.Output] = []
        // G1LineDecoder never throws: a bad line is an output of its own.
        try? processor.process(buffer: bytes) { outputs.append($0) }
        var records: [TelemetryRecord] = []
        for output in outputs {
            switch output {
            case .invalid:
                invalidLines += 1
            case .sentence(let sentence):
                sentences += 1
                if sentence.name == "VR1", !sentence.isRequest, let reading = try? G1Version(sentence) { version = reading }
                if let record = builder.record(at: timestamp, { $0.decode(sentence) }) { records.append(record) }
            }
        }
        return records
    }
}
