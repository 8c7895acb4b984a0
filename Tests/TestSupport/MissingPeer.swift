import Foundation
import XCTest

/// A real peer a test needs is not on this machine: under CI (`CI=true`, which installs every
/// peer) that is a failure; elsewhere the test is skipped, saying which peer and package.
public func missingPeer(_ reason: String) -> any Error {
    if ProcessInfo.processInfo.environment["CI"] == "true" {
        return MissingPeerUnderCI(description: "MISSING PEER under CI (scripts/install-deps installs it): \(reason)")
    }
    FileHandle.standardError.write(Data("SKIPPED: \(reason)\n".utf8))
    return XCTSkip("SKIPPED: \(reason)")
}

public struct MissingPeerUnderCI: Error, CustomStringConvertible {
    public let description: String
}
