import NIOCore
import NIOPosix

/// Puts the two connections of a session on one event loop when it can, so the relay forwards
/// a frame with no hand-over between threads (the hand-over is about a quarter of a loopback
/// round trip).
///
/// The agent's data connection is normally the next connection the relay accepts after it
/// sent `OPEN_SESSION`, and `MultiThreadedEventLoopGroup` hands accepted connections to its
/// loops in turn (round robin, as its `next()` documents). Taking turns up to the loop just
/// before the client's puts the data connection beside the client. Best effort: a connection
/// accepted in between takes that place instead, which costs the hand-over, as without steering.
struct AcceptSteering: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let loops: [any EventLoop]

    init(group: MultiThreadedEventLoopGroup) {
        self.group = group
        self.loops = Array(group.makeIterator())
    }

    /// Makes the next accepted connection land on `loop`, unless another takes its turn first.
    func nextAccept(on loop: any EventLoop) {
        guard loops.count > 1, let index = loops.firstIndex(where: { $0 === loop }) else { return }
        let before = loops[(index + loops.count - 1) % loops.count]
        for _ in loops.indices {
            if group.next() === before { return }
        }
    }
}
