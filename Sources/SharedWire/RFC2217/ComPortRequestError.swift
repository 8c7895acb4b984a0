/// A COM-PORT-OPTION command that cannot be read: an unknown code or a value of the wrong size.
public struct ComPortRequestError: Error, Equatable, CustomStringConvertible {
    /// The command code received.
    public let command: UInt8
    /// What is wrong with it.
    public let problem: String

    public var description: String {
        let name = ComPortCommand(rawValue: command).map { "\($0) (\(command))" } ?? "command \(command)"
        return "COM-PORT-OPTION \(name) \(problem)"
    }
}
