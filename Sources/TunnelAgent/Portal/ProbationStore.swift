import Foundation
import NIOConcurrencyHelpers

/// The probation and the rollbacks on disk in the state folder, so that both outlive a restart
/// of the agent; every change is a durable replace, made under one lock.
public final class ProbationStore: Sendable {
    private let paths: AgentPaths
    private let lock = NIOLock()

    public init(paths: AgentPaths) {
        self.paths = paths
    }

    /// Reads, changes and writes the probation (nil: none) under the lock; returns `change`'s result.
    func withProbation<Result>(_ change: (inout ConfigProbation?) throws -> Result) throws -> Result {
        try lock.withLock {
            let before: ConfigProbation? = Self.read(paths.probation)
            var probation = before
            let result = try change(&probation)
            if probation != before { try Self.write(probation, to: paths.probation) }
            return result
        }
    }

    /// Reads, changes and writes the rollbacks under the lock; returns `change`'s result.
    func withRollbacks<Result>(_ change: (inout [ConfigRollback]) throws -> Result) throws -> Result {
        try lock.withLock {
            let before: [ConfigRollback] = Self.read(paths.rollbacks) ?? []
            var rollbacks = before
            let result = try change(&rollbacks)
            if rollbacks != before { try Self.write(rollbacks.isEmpty ? nil : rollbacks, to: paths.rollbacks) }
            return result
        }
    }

    private static func read<Value: Decodable>(_ path: String) -> Value? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(Value.self, from: data)
    }

    private static func write<Value: Encodable>(_ value: Value?, to path: String) throws {
        guard let value else {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try DurableFile.write(Array(try encoder.encode(value)), to: path)
    }
}
