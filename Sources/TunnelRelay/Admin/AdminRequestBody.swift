import Foundation
import Hummingbird

/// Reads a JSON request body strictly: an object, only known keys, the right types; each
/// problem is a 400 naming the key and what is expected. Too large a body is a 413.
enum AdminRequestBody {
    static func decode<T: Decodable>(_ type: T.Type, keys: Set<String>, from request: Request, context: AdminRequestContext) async throws
        -> T
    {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw AdminError(.contentTooLarge, "bodyTooLarge", "the request body is larger than \(context.maxUploadSize) bytes")
        }
        let data = Data(buffer: body)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw AdminError(.badRequest, "malformedJSON", "the request body is not valid JSON")
        }
        guard let members = object as? [String: Any] else {
            throw AdminError(.badRequest, "badRequest", "the request body must be a JSON object")
        }
        let unknown = Set(members.keys).subtracting(keys).sorted()
        guard unknown.isEmpty else {
            throw AdminError(
                .badRequest, "unknownField",
                "unknown field(s) \(unknown.joined(separator: ", ")); expected only \(keys.sorted().joined(separator: ", "))")
        }
        do {
            return try context.requestDecoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw AdminError(.badRequest, "invalidField", describe(error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)): expected \(name(of: type))"
        case .valueNotFound(let type, let context): return "\(path(context.codingPath)): expected \(name(of: type)), found null"
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])): required"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "the request body does not match the expected fields"
        }
    }

    static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}
