import AgentConfig
import Foundation
import SharedWire
import TunnelAgent

/// Inputs for the configuration-driven decoding engine: the shipped params_config.json, the
/// mixed G1 summary stream, and one of each G1 CAN summary frame.
struct EngineStreams {
    let decoder: TelemetryDecoder
    let sentences: [G1Sentence]
    let frames: [CANFrame]

    static func make() throws -> EngineStreams {
        guard let url = ParamsConfig.shippedDefaultURL else {
            throw EngineStreamError(description: "the shipped params_config.json is not beside tunnel-bench")
        }
        let decoder = TelemetryDecoder(config: try ParamsConfig.load(path: url.path))
        let sentences = try MixedG1Stream.lines.map { text in
            try G1Sentence(line: String(G1Sentence(lineText: text).line.dropLast()))
        }
        let can = try G1CANMessageBuilder()
        let frames = [
            can.overallParameters(inputs: 0x03, outputs: 0x05, liveCells: 16, chargingStage: 3, stageDuration: 600, lastChargingError: 0),
            can.batteryVoltage(minCell: 0xBF, maxCell: 0xC1, averageCell: 0xC0, totalVoltage: 6_267),
            can.moduleTemperature(min: 0x7C, max: 0x7F, average: 0x7D),
            can.balancingRate(min: 0, max: 0xFF, average: 0x80),
            can.cellTemperature(min: 0x7C, max: 0x7F, average: 0x7D),
            can.diagnosticCodes(protectionFlags: 0x0045, powerReductionFlags: 0x02, batteryStatusFlags: 0x01),
            can.stateOfCharge(current: -125, estimatedCharge: 800, stateOfCharge: 80, stateOfHealth: 98),
        ]
        return EngineStreams(decoder: decoder, sentences: sentences, frames: frames)
    }

    /// Decodes every sentence `passes` times; returns sentences decoded and values produced.
    func decodeSentences(passes: Int) -> (items: Int, values: Int) {
        var values = 0
        for _ in 0..<passes {
            for sentence in sentences { values += decoder.decode(sentence).count }
        }
        return (passes * sentences.count, values)
    }

    /// Decodes every frame `passes` times; returns frames decoded and signal values produced.
    func decodeFrames(passes: Int) -> (items: Int, values: Int) {
        var values = 0
        for _ in 0..<passes {
            for frame in frames { values += decoder.decodeCAN(id: frame.id, extended: frame.isExtended, data: frame.data).count }
        }
        return (passes * frames.count, values)
    }
}

struct EngineStreamError: Error, CustomStringConvertible {
    let description: String
}

extension G1Sentence {
    /// `NAME,f1,f2,…` without CRC.
    init(lineText text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        self.init(name: parts[0], fields: Array(parts.dropFirst()))
    }
}
