import Foundation

/// A capture as a person reads it: one line per G1 sentence (or per chunk of other bytes),
/// with the time, the direction and what the sentence says.
public enum CaptureTranscript {
    /// Renders capture records, oldest first.
    public static func render(_ records: [CaptureRecord]) -> [String] {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        var output: [String] = []
        for record in records {
            let stamp = formatter.string(from: Date(timeIntervalSince1970: record.time))
            let arrow = record.direction == .toDevice ? "→ BMS" : "← BMS"
            if record.lines.isEmpty {
                output.append("\(stamp) \(arrow)  (\(record.hex.count / 2) bytes, line continues: \(printable(record.hex)))")
            }
            for line in record.lines {
                output.append(
                    "\(stamp) \(arrow)  \(line.padding(toLength: max(line.count, 40), withPad: " ", startingAt: 0))  \(annotation(of: line))"
                )
            }
        }
        return output
    }

    /// Hex bytes as text where they are printable ASCII, `\xNN` where not.
    static func printable(_ hex: String) -> String {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count - 1, by: 2).map { index -> String in
            let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) ?? 0
            return (0x20..<0x7F).contains(byte)
                ? String(UnicodeScalar(byte)) : "\\x" + String(decoding: digits[index..<index + 2], as: UTF8.self)
        }.joined()
    }

    /// What a line means, decoded where there is a typed reading.
    public static func annotation(of line: String) -> String {
        let sentence: G1Sentence
        do {
            sentence = try G1Sentence(line: line)
        } catch {
            return "[not G1: \(error)]"
        }
        guard let reading = try? G1Reading(sentence) else { return "[\(sentence.name): fields do not decode]" }
        return "[\(reading.summary)]"
    }
}
