import Mosquitto
import NIOConcurrencyHelpers

/// A second MQTT client on the broker that counts the telemetry records the agent delivered,
/// by their sequence numbers (`"seq":N`), so a benchmark can tell that none was lost.
final class TelemetryObserver: Sendable {
    private let client: MosquittoClient
    private let seen = NIOLockedValueBox(Set<Int>())
    private let task: Task<Void, Never>

    init(port: Int) async throws {
        let client = try MosquittoClient(options: .init(port: port, clientID: "bench-observer", maxInflight: 100))
        self.client = client
        let seen = self.seen
        try client.start()
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        task = Task {
            for await event in client.events {
                switch event {
                case .connected(0, _): _ = try? client.subscribe("v1/devices/me/telemetry", qos: 1)
                case .subscribed: readyContinuation.yield()
                case .message(_, let payload):
                    let numbers = Self.sequenceNumbers(in: payload)
                    seen.withLockedValue { $0.formUnion(numbers) }
                default: break
                }
            }
        }
        var iterator = ready.makeAsyncIterator()
        _ = await iterator.next()
    }

    /// Distinct records seen so far.
    var count: Int { seen.withLockedValue { $0.count } }

    /// True when exactly the sequence numbers 1...`total` arrived.
    func sawAll(_ total: Int) -> Bool {
        seen.withLockedValue { $0.count == total && $0.min() == 1 && $0.max() == total }
    }

    func stop() {
        client.stop()
        task.cancel()
    }

    /// The numbers after each `"seq":` in a payload.
    static func sequenceNumbers(in payload: [UInt8]) -> [Int] {
        let marker = Array(#""seq":"#.utf8)
        var numbers: [Int] = []
        var index = 0
        while index + marker.count < payload.count {
            if payload[index] == marker[0], Array(payload[index..<index + marker.count]) == marker {
                index += marker.count
                var value = 0
                while index < payload.count, payload[index] >= 0x30, payload[index] <= 0x39 {
                    value = value * 10 + Int(payload[index] - 0x30)
                    index += 1
                }
                numbers.append(value)
            } else {
                index += 1
            }
        }
        return numbers
    }
}
