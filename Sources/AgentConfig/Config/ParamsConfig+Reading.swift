/// Reading `params_config.json` from parsed JSON: the file, its protocols and its routes.
extension ParamsConfig {
    /// What a problem says is expected of a `request_period`.
    static let periodExpected = "a number of seconds > 0"

    /// The configuration in `root`, with defaults in place of wrong values; every problem and
    /// notice is recorded in `issues`.
    static func read(_ root: JSONValue, issues: ConfigIssues) -> ParamsConfig? {
        guard let file = ConfigObjectReader(root, at: .root, issues: issues, expected: "a JSON object with comment, protocols and routes")
        else {
            return nil
        }
        defer { file.finish() }
        let comment = file.string("comment", default: "", nullable: true)
        let protocols = file.object("protocols").map(readProtocols) ?? Protocols()
        let routePath = JSONPath.root.appending("routes")
        let routes = (file.array("routes") ?? []).enumerated().compactMap { index, element in
            ConfigObjectReader(element, at: routePath.appending(index), issues: issues, expected: "an object with from and to").map(
                readRoute)
        }
        let config = ParamsConfig(comment: comment, protocols: protocols, routes: routes)
        for (index, route) in routes.enumerated() {
            config.checkRoute(route, at: routePath.appending(index), issues: issues)
        }
        return config
    }

    static func readProtocols(_ object: ConfigObjectReader) -> Protocols {
        defer { object.finish(unknownDetail: "not a protocol this build reads (g1, can, mqtt); ignored") }
        let protocols = Protocols(g1: object.object("g1").map(readG1Protocol), can: object.object("can").map(readCANProtocol))
        if let mqtt = object.object("mqtt") {
            mqtt.finish(
                unknownDetail: "protocols.mqtt defines no keys in this build (telemetry keys come from route_to_mqtt and routes); ignored")
        }
        return protocols
    }

    /// The attributes shared by G1 and CAN params, each falling back to `format`'s, then to the manual's default.
    static func readScaling(_ object: ConfigObjectReader, format: G1Format? = nil) -> ParamScaling {
        let defaults = ParamScaling()
        return ParamScaling(
            bigEndian: object.optionalBool("big_end") ?? format?.bigEndian ?? defaults.bigEndian,
            signed: object.optionalBool("signed") ?? format?.signed ?? defaults.signed,
            offset: object.optionalNumber("offset") ?? format?.offset ?? defaults.offset,
            factor: object.optionalNumber("factor", expected: "a number other than 0") { $0 != 0 } ?? format?.factor ?? defaults.factor,
            decimals: object.optionalInteger("decimals", in: -1...15) ?? format?.decimals ?? defaults.decimals,
            units: object.optionalString("units") ?? format?.units ?? defaults.units,
            type: object.choice("type", among: ParamScaling.ValueType.allCases.map(\.rawValue)).flatMap(ParamScaling.ValueType.init)
                ?? format?.type ?? defaults.type)
    }

    /// The telemetry key of `route_to_mqtt`.
    static func readRouteToMQTT(_ object: ConfigObjectReader) -> String? {
        object.optionalString("route_to_mqtt", expected: "a non-empty telemetry key") { !$0.isEmpty }
    }

    static func readRoute(_ object: ConfigObjectReader) -> Route {
        defer { object.finish() }
        let from = object.requiredObject("from", expected: "an object with prot, sentence (g1) or id (can), and param").map(readSource)
        let to = object.requiredObject("to", expected: "an object with prot and param").map(readDestination)
        return Route(from: from ?? Route.Source(prot: "", param: ""), to: to ?? Route.Destination(prot: "", param: ""))
    }

    static func readSource(_ object: ConfigObjectReader) -> Route.Source {
        defer { object.finish() }
        return Route.Source(
            prot: object.requiredString("prot", expected: routeProtocols) { Route.protocols.contains($0) },
            sentence: object.optionalString("sentence", expected: "a G1 sentence name, for example \"TD1\""),
            id: object.optionalString("id", expected: CANPacketID.expected) { CANPacketID($0) != nil },
            param: object.requiredString("param", expected: "the name of a param"))
    }

    static func readDestination(_ object: ConfigObjectReader) -> Route.Destination {
        defer { object.finish() }
        return Route.Destination(
            prot: object.requiredString("prot", expected: routeProtocols) { Route.protocols.contains($0) },
            param: object.requiredString("param", expected: "a non-empty key"))
    }

    /// What a problem says is expected of a route's `prot`.
    static var routeProtocols: String { "one of " + Route.protocols.map { "\"\($0)\"" }.joined(separator: ", ") }
}
