import ArgumentParser

// The relay's options with a fixed set of values, parsed as their enums (a typo is an error
// that lists the values).

extension UserRole: ExpressibleByArgument {}

extension RelayCredentials.ServerKeyType: ExpressibleByArgument {}
