import ArgumentParser

// The relay's options with a fixed set of values, parsed as their enums (a typo is an error
// that lists the values).

extension UserRole: ExpressibleByArgument {}

extension RelayCredentials.ServerKeyType: ExpressibleByArgument {}

extension ProxyListeners: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(names: argument)
    }

    public static var allValueStrings: [String] { ["tunnel", "admin", "tunnel,admin", "off"] }

    public var defaultValueDescription: String { names }
}
