import XCTest

@testable import TunnelRelay

/// `--node-name` and `--node-address` as `tunnel-relay serve` checks them.
final class NodeIdentityTests: XCTestCase {
    func testValidNameAndAddressesAreKept() throws {
        for address in ["relay-b.internal:7443", "10.0.0.7:1", "[fd00::7]:65535"] {
            let identity = try NodeIdentity(name: "relay-b.eu_1", address: address)
            XCTAssertEqual(identity.name, "relay-b.eu_1")
            XCTAssertEqual(identity.address, address)
        }
    }

    func testNamesOutsideTheSafeSetAreRefusedNamingTheFlag() {
        for name in ["", "a b", "relay/1", "relay;drop", String(repeating: "n", count: 65), "nöde"] {
            XCTAssertThrowsError(try NodeIdentity(name: name, address: "relay:7443"), name) { error in
                XCTAssertEqual(error as? NodeIdentityError, .invalidName(name))
                XCTAssertTrue("\(error)".hasPrefix("--node-name"))
            }
        }
    }

    func testAddressesThatAreNotHostAndPortAreRefusedNamingTheFlag() {
        let long = String(repeating: "h", count: NodeIdentity.maximumAddressLength) + ":7443"
        for address in ["relay", "relay:", "relay:0", "relay:65536", ":7443", "relay b:7443", "relay\n:7443", long] {
            XCTAssertThrowsError(try NodeIdentity(name: "relay-a", address: address), address) { error in
                XCTAssertEqual(error as? NodeIdentityError, .invalidAddress(address))
                XCTAssertTrue("\(error)".hasPrefix("--node-address"))
            }
        }
    }

    func testTheDefaultAddressIsTheNameAndTheTunnelPort() throws {
        XCTAssertEqual(NodeIdentity.defaultAddress(name: "relay-a", listenPort: 7000), "relay-a:7000")
        XCTAssertEqual(NodeIdentity.defaultAddress(name: "relay-a", listenPort: 0), "relay-a:7443")
        XCTAssertNoThrow(try NodeIdentity(name: "relay-a", address: NodeIdentity.defaultAddress(name: "relay-a", listenPort: 0)))
    }

    func testTheDefaultNameIsTheHostsShortNameWhenValid() {
        XCTAssertEqual(NodeIdentity.defaultName(hostName: "relay-a.example.net"), "relay-a")
        XCTAssertEqual(NodeIdentity.defaultName(hostName: "relay a"), "relay")
        XCTAssertEqual(NodeIdentity.defaultName(hostName: ""), "relay")
    }
}
