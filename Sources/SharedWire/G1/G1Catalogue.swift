/// What is known about each G1 sentence name: whether it exists, and whether a request
/// with it only reads the BMS or changes its state (the monitor-session allow-list).
///
/// One table, from `reference/emus-g1.md`; an uncertain entry is one line to change.
public enum G1Catalogue {
    /// Every sentence name the reference lists.
    public static let knownNames: Set<String> = [
        "BB1", "BB2", "BC1", "BT1", "BT2", "BT3", "BT4", "BV1", "BV2", "CF2", "CG1", "CN1", "CN2", "CS1", "CS2",
        "CS3", "CS4", "CV1", "DT1", "FD1", "IN1", "LG1", "OT1", "PW1", "PW2", "RC1", "RS1", "RS2", "SC1", "SS1",
        "ST1", "TC1", "TC2", "TD1", "VR1",
    ]

    /// Names whose plain request `NAME,?` only reads state.
    public static let readingNames: Set<String> = [
        "BB1", "BB2", "BC1", "BT1", "BT2", "BT3", "BT4", "BV1", "BV2", "CG1", "CS1", "CV1", "DT1", "IN1", "OT1",
        "ST1", "VR1", "RS2", "TD1", "LG1", "SS1",
    ]

    /// Names the BMS broadcasts without being asked, in the order the simulator sends them.
    public static let broadcastOrder = ["CV1", "BV1", "BC1", "BT1", "BB1", "DT1", "OT1", "BT3", "ST1"]

    /// Names the BMS broadcasts without being asked.
    public static let broadcastNames = Set(broadcastOrder)

    /// What a sentence sent to the BMS does.
    public enum Effect: Equatable, Sendable {
        /// Reads state only.
        case reads
        /// Changes state (or may: unknown effects count as writes).
        case changesState
        /// Not a sentence of the reference.
        case unknown
    }

    /// The effect of sending `sentence` to the BMS.
    public static func effect(of sentence: G1Sentence) -> Effect {
        guard knownNames.contains(sentence.name) else { return .unknown }
        if sentence.name == "CF2" {
            // `CF2,<id>,?` reads a parameter; `CF2,<id>,<value>` writes it.
            return sentence.fields.count == 2 && !sentence.fields[0].isEmpty && sentence.fields[1] == "?"
                ? .reads : .changesState
        }
        return sentence.isRequest && readingNames.contains(sentence.name) ? .reads : .changesState
    }

    /// True when a monitor (read-only) session may send `sentence` to the BMS. The sentence
    /// must already have passed its CRC check (decoding a line does that).
    public static func isAllowedInMonitorSession(_ sentence: G1Sentence) -> Bool {
        effect(of: sentence) == .reads
    }
}
