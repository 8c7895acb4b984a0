import ArgumentParser
import Logging
import SharedWire

// Options with a fixed set of values are parsed as their enums: a typo is an error that
// lists the values, never a silent default.

extension Logger.Level: @retroactive ExpressibleByArgument {}

extension TunnelMessage.SessionMode: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(name: argument)
    }

    public static var allValueStrings: [String] { ["control", "monitor"] }

    public var defaultValueDescription: String { description }
}
