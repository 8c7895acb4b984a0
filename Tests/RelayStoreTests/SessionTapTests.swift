import NIOCore
import SharedWire
import XCTest

@testable import TunnelRelay

/// What a browser watching a session is given: whole G1 lines, however the frames cut them,
/// decoded, each way; nothing is kept while nobody watches; the watchers are bounded and
/// their streams end with the session.
final class SessionTapTests: XCTestCase {
    func testLinesCutAcrossFramesArriveWholeAndDecoded() async throws {
        let tap = SessionTap()
        tap.observe(.fromDevice, ByteBuffer(string: "CV1,00001909,FF83,,,,,,,,,D3\r\nVR1,G1"))  // nobody watches: not kept
        let stream = try XCTUnwrap(tap.watch(by: "vic"))
        XCTAssertEqual(tap.watchers, ["vic"])
        tap.observe(.toDevice, ByteBuffer(string: "VR1,?"))
        tap.observe(.toDevice, ByteBuffer(string: ",D7\r\n"))
        tap.observe(.fromDevice, ByteBuffer(string: "CU,SIM00001,2.4.1,40\r\nCV1,00001909,FF83,,,,,,,,,D3\r\n"))
        tap.finish()
        var seen: [SessionTap.Sentence] = []
        for await sentence in stream { seen.append(sentence) }
        XCTAssertEqual(seen.map(\.direction), [.toDevice, .fromDevice, .fromDevice])
        XCTAssertEqual(seen.map(\.line), ["VR1,?,D7", "CU,SIM00001,2.4.1,40", "CV1,00001909,FF83,,,,,,,,,D3"])
        XCTAssertEqual(seen.map(\.name), ["VR1", "", "CV1"])
        XCTAssertEqual(seen[0].meaning, "[VR1 request]")
        XCTAssertTrue(seen[1].meaning.hasPrefix("[not G1"), seen[1].meaning)
        XCTAssertEqual(seen[2].meaning, "[CV1 pack 64.09 V, -12.5 A]")
        XCTAssertTrue(tap.isFinished)
        XCTAssertNil(tap.watch(by: "ana"), "an ended session takes no watcher")
    }

    func testWatchersAreBoundedAndLeaveWhenTheirStreamGoes() {
        let tap = SessionTap()
        var streams = (0..<SessionTap.maxWatchers).compactMap { tap.watch(by: "user\($0 % 3)") }
        XCTAssertEqual(streams.count, SessionTap.maxWatchers)
        XCTAssertNil(tap.watch(by: "one-too-many"))
        XCTAssertEqual(tap.watchers, ["user0", "user1", "user2"])
        streams.removeAll()  // dropping a stream ends its watch
        XCTAssertEqual(tap.watchers, [])
        XCTAssertNotNil(tap.watch(by: "again"))
    }
}
