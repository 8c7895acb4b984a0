import AgentConfig
import Foundation

/// What a ThingsBoard server allows one device session, as its `getSessionLimits` client-side
/// RPC answers (ThingsBoard 3.6 and newer): `{"maxPayloadSize":65536,"maxInflightMessages":100,
/// "rateLimits":{"messages":"200:1,6000:60","telemetryMessages":"…","telemetryDataPoints":"…"}}`.
/// Each rate limit is comma-separated `count:seconds` windows: at most `count` in any
/// `seconds`. A server that does not answer gets `conservative`. Pure: parsing only.
struct SessionLimits: Sendable, Equatable {
    /// At most `count` in any `seconds` seconds.
    struct RateWindow: Sendable, Equatable, CustomStringConvertible {
        let count: Int
        let seconds: Int

        var description: String { "\(count):\(seconds)" }
    }

    /// Largest MQTT payload the server takes, bytes.
    let maxPayloadSize: Int
    /// Most QoS 1 messages the server lets await their PUBACK.
    let maxInflightMessages: Int
    /// Every message the device sends (telemetry, attributes, RPC).
    let messages: [RateWindow]
    /// Telemetry messages.
    let telemetryMessages: [RateWindow]
    /// Telemetry data points: the keys of every record of a message, counted one each.
    let telemetryDataPoints: [RateWindow]

    /// Without an answer (a server older than 3.6, or one that does not say): ThingsBoard's
    /// default payload limit, our own in-flight window, and rate limits a modest tenant
    /// profile allows (docs/CONFIGURATION.md).
    static let conservative = SessionLimits(
        maxPayloadSize: 65_536, maxInflightMessages: 20,
        messages: [.init(count: 20, seconds: 1), .init(count: 600, seconds: 60)],
        telemetryMessages: [.init(count: 20, seconds: 1), .init(count: 600, seconds: 60)],
        telemetryDataPoints: [.init(count: 200, seconds: 1), .init(count: 6_000, seconds: 60)])

    /// The smallest payload limit taken from a server: below it no telemetry record fits.
    static let smallestPayloadSize = 256
    /// Longest rate-limit window taken, seconds (a day): the pacer remembers sends this long.
    static let longestWindow = 86_400

    /// The limits in a `getSessionLimits` answer. A member the answer leaves out, or a rate
    /// limit that is empty, has no limit of its own (`maxPayloadSize` and
    /// `maxInflightMessages` then take `conservative`'s). Throws for anything else malformed,
    /// naming the member.
    static func parse(_ payload: [UInt8]) throws -> SessionLimits {
        let json: JSONValue
        do {
            json = try JSONParser.parse(payload)
        } catch {
            throw ParseError(member: "$", found: String(decoding: payload.prefix(80), as: UTF8.self), expected: "a JSON object")
        }
        guard case .object = json else { throw ParseError(member: "$", found: json.summary, expected: "a JSON object") }
        let rates = json["rateLimits"] ?? .object([])
        guard case .object = rates else {
            throw ParseError(member: "$.rateLimits", found: rates.summary, expected: "an object of count:seconds lists")
        }
        return SessionLimits(
            maxPayloadSize: try positive(json, "maxPayloadSize", at: smallestPayloadSize) ?? conservative.maxPayloadSize,
            maxInflightMessages: try positive(json, "maxInflightMessages", at: 1) ?? conservative.maxInflightMessages,
            messages: try windows(rates, "messages"), telemetryMessages: try windows(rates, "telemetryMessages"),
            telemetryDataPoints: try windows(rates, "telemetryDataPoints"))
    }

    /// `"200:1,6000:60"` as windows; empty for an empty string.
    static func windows(_ text: String, member: String) throws -> [RateWindow] {
        guard !text.isEmpty else { return [] }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let pieces = part.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count == 2, let count = Int(pieces[0]), let seconds = Int(pieces[1]), count >= 1, seconds >= 1,
                seconds <= longestWindow
            else {
                throw ParseError(
                    member: member, found: "\"\(part)\"",
                    expected: "count:seconds windows separated by commas, each a whole number ≥ 1, seconds at most \(longestWindow)")
            }
            return RateWindow(count: count, seconds: seconds)
        }
    }

    private static func windows(_ rates: JSONValue, _ key: String) throws -> [RateWindow] {
        guard let value = rates[key], value != .null else { return [] }
        guard let text = value.stringValue else {
            throw ParseError(member: "$.rateLimits.\(key)", found: value.summary, expected: "a string of count:seconds windows")
        }
        return try windows(text, member: "$.rateLimits.\(key)")
    }

    private static func positive(_ json: JSONValue, _ key: String, at least: Int) throws -> Int? {
        guard let value = json[key], value != .null else { return nil }
        guard let number = value.numberValue, number.rounded() == number, number >= Double(least), number <= Double(Int32.max) else {
            throw ParseError(member: "$.\(key)", found: value.summary, expected: "a whole number of at least \(least)")
        }
        return Int(number)
    }

    /// A `getSessionLimits` answer the agent cannot use; the conservative limits stay.
    struct ParseError: Error, Equatable, CustomStringConvertible {
        let member: String
        let found: String
        let expected: String
        var description: String { "getSessionLimits answer \(member): found \(found), expected \(expected)" }
    }
}
