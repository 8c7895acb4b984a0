/// Client-side RPC: the device asks, the server answers on the same ID
/// (reference/thingsboard-mqtt.md). On a plain broker these share topics with server-side RPC.
extension ThingsBoardTopic {
    static let rpcResponses = "v1/devices/me/rpc/response/+"
    static let rpcResponsePrefix = "v1/devices/me/rpc/response/"

    static func clientRPCRequest(_ id: Int) -> String { rpcRequestPrefix + String(id) }
    static func clientRPCResponse(_ id: Int) -> String { rpcResponsePrefix + String(id) }
}
