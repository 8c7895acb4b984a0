/// The ThingsBoard device API's topics (docs: reference/thingsboard-mqtt.md).
enum ThingsBoardTopic {
    static let telemetry = "v1/devices/me/telemetry"
    /// Client attributes are published here; shared-attribute updates arrive here.
    static let attributes = "v1/devices/me/attributes"
    static let attributeResponses = "v1/devices/me/attributes/response/+"
    static let attributeResponsePrefix = "v1/devices/me/attributes/response/"
    static let rpcRequests = "v1/devices/me/rpc/request/+"
    static let rpcRequestPrefix = "v1/devices/me/rpc/request/"

    static func attributeRequest(_ id: Int) -> String { "v1/devices/me/attributes/request/\(id)" }
    static func rpcResponse(_ id: String) -> String { "v1/devices/me/rpc/response/\(id)" }

    /// Provisioning: the request (the server's code uses `/provision/request`) and its answer.
    static let provisionRequest = "/provision/request"
    static let provisionResponse = "/provision/response"
    /// The user name of a provisioning connection.
    static let provisionUsername = "provision"
}
