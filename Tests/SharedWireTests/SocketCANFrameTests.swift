import NIOCore
import SharedWire
import XCTest

final class SocketCANFrameTests: XCTestCase {
    func frame(_ rawID: UInt32, _ length: UInt8, _ data: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: rawID.littleEndian, Array.init) + [length, 0, 0, 0] + data + Array(repeating: 0, count: 8 - data.count)
    }

    func testExtendedStandardAndRemoteFramesAcrossSplitReads() throws {
        var bytes = frame(0x8000_0000 | 0x19B5_0000, 3, [1, 2, 3]) + frame(0x123, 0, []) + frame(0xC000_0000 | 0x19B5_0001, 0, [])
        var buffer = ByteBuffer(bytes: bytes.prefix(10))
        XCTAssertNil(try buffer.readSocketCANFrame(), "a partial frame consumes nothing")
        XCTAssertEqual(buffer.readableBytes, 10)
        bytes.removeFirst(10)
        buffer.writeBytes(bytes)
        XCTAssertEqual(try buffer.readSocketCANFrame(), try CANFrame(id: 0x19B5_0000, extended: true, data: [1, 2, 3]))
        XCTAssertEqual(try buffer.readSocketCANFrame(), try CANFrame(id: 0x123, extended: false, data: []))
        XCTAssertEqual(try buffer.readSocketCANFrame(), try CANFrame(remoteID: 0x19B5_0001, extended: true))
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testErrorFramesAndBadLengthsAreConsumedAndReported() {
        var buffer = ByteBuffer(bytes: frame(0x2000_0004, 8, []) + frame(0x100, 9, []) + frame(0x100, 1, [7]))
        XCTAssertThrowsError(try buffer.readSocketCANFrame()) { XCTAssertEqual($0 as? SocketCANFrameError, .errorFrame(id: 4)) }
        XCTAssertThrowsError(try buffer.readSocketCANFrame()) { XCTAssertEqual($0 as? SocketCANFrameError, .badLength(9)) }
        XCTAssertEqual(try buffer.readSocketCANFrame(), try CANFrame(id: 0x100, extended: false, data: [7]))
    }
}
