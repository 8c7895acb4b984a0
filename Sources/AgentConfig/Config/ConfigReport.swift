/// What checking a configuration file found: every problem, each at its JSON path with what
/// was found and what is expected, and every notice (keys accepted but not used).
public struct ConfigReport: Sendable, Equatable {
    /// Something that makes the file unusable.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// JSONPath of the value, for example `$.protocols.can.packets.X19B50000.params.minVolt.bits`.
        public let path: String
        /// What the file holds there, for example `70`, `"abc"` or `nothing`.
        public let found: String
        /// What is expected there, for example `an integer from 1 to 64`.
        public let expected: String

        public init(path: String, found: String, expected: String) {
            self.path = path
            self.found = found
            self.expected = expected
        }

        public var description: String { "\(path): found \(found), expected \(expected)" }
    }

    /// Something accepted and worth telling, never a reason to refuse the file.
    public struct Notice: Sendable, Equatable, CustomStringConvertible {
        /// Why there is a notice.
        public enum Kind: String, Sendable, Equatable {
            /// A key of the vendor's hardware (Wi-Fi, cellular, OTA, power saving, …): accepted, ignored.
            case notApplicable = "not applicable on this gateway"
            /// A key neither the manual nor this project defines: ignored.
            case unknownKey = "unknown key"
            /// A key written twice in one object: the last value is used.
            case duplicateKey = "duplicate key"
            /// A meaningful setting this build does not act on yet.
            case unsupported = "not supported by this build"
            /// No `tunnel` section: acquisition and uplink only, no link to the relay.
            case tunnelOff = "no tunnel"
        }

        /// JSONPath of the key.
        public let path: String
        /// The kind of notice.
        public let kind: Kind
        /// What the agent does about it.
        public let detail: String

        public init(path: String, kind: Kind, detail: String) {
            self.path = path
            self.kind = kind
            self.detail = detail
        }

        public var description: String { "\(path): \(kind.rawValue); \(detail)" }
    }

    /// Every problem, in the order the file was read (sections in a fixed order, members in
    /// file order); the checks across the file (routes) come last.
    public let problems: [Problem]
    /// Every notice, in the order the file was read.
    public let notices: [Notice]

    public init(problems: [Problem] = [], notices: [Notice] = []) {
        self.problems = problems
        self.notices = notices
    }

    /// True when the file can be used.
    public var isValid: Bool { problems.isEmpty }
}
