import AgentConfig
import Foundation
import SharedWire
import TunnelAgent

/// Records as acquisition makes them: real G1 sentences decoded by the shipped params_config.json.
enum UplinkWorkload {
    static func decodedRecords() throws -> [String] {
        guard let url = ParamsConfig.shippedDefaultURL else { throw BenchFailure("the shipped params_config.json is missing") }
        let decoder = TelemetryDecoder(config: try ParamsConfig.load(path: url.path))
        let sentences = [
            G1Sentence(name: "CV1", fields: ["00001910", "FF83"]),
            G1Sentence(name: "BV1", fields: ["10", "C8", "C9", "C9", "00001910"]),
            G1Sentence(name: "BC1", fields: ["0001A2B3", "0002F000", "0051"]),
            G1Sentence(name: "BT1", fields: ["10", "7E", "7F", "7E"]),
        ]
        let members = sentences.compactMap { TelemetryRecordEncoder.members(decoder.decode($0)) }
        guard members.count == sentences.count else {
            throw BenchFailure("the shipped params_config.json decoded only \(members.count) of \(sentences.count) sentences")
        }
        return members
    }

    /// `count` records cycling through `members`, stamped now.
    static func batch(_ members: [String], from start: Int, count: Int) -> [TelemetryRecord] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return (start..<start + count).map { TelemetryRecord(timestamp: now, members: members[$0 % members.count]) }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
