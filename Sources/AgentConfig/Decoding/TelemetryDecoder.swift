import SharedWire

/// Turns G1 sentences and CAN frames into telemetry values as a `ParamsConfig` says: each
/// param of the sentence's or frame's packet is decoded and published under its
/// `route_to_mqtt` key and under the keys of the routes from it to `mqtt`. Pure: no I/O, no
/// state; takes CAN frames as id, kind and data so that it needs no frame type.
public struct TelemetryDecoder: Sendable {
    /// A param of a packet of a protocol, as routes name it.
    struct ParamAddress: Hashable {
        let prot: String
        let packet: String
        let param: String
    }

    private let g1Packets: [String: ParamsConfig.G1Packet]
    private let canPackets: [ParamsConfig.CANPacket]
    private let keys: [ParamAddress: [String]]

    public init(config: ParamsConfig) {
        let g1 = config.protocols.g1?.packets ?? []
        let can = config.protocols.can?.packets ?? []
        g1Packets = Dictionary(g1.map { ($0.sentence, $0) }, uniquingKeysWith: { first, _ in first })
        canPackets = can
        var keys: [ParamAddress: [String]] = [:]
        func add(_ key: String, to address: ParamAddress) {
            if !(keys[address]?.contains(key) ?? false) { keys[address, default: []].append(key) }
        }
        for packet in g1 {
            for param in packet.params {
                if let key = param.routeToMQTT { add(key, to: ParamAddress(prot: "g1", packet: packet.sentence, param: param.name)) }
            }
        }
        for packet in can {
            for param in packet.params {
                if let key = param.routeToMQTT { add(key, to: ParamAddress(prot: "can", packet: packet.id.description, param: param.name)) }
            }
        }
        for route in config.routes where route.to.prot == "mqtt" {
            switch route.from.prot {
            case "g1": route.from.sentence.map { add(route.to.param, to: ParamAddress(prot: "g1", packet: $0, param: route.from.param)) }
            case "can":
                route.from.id.flatMap(CANPacketID.init).map {
                    add(route.to.param, to: ParamAddress(prot: "can", packet: $0.description, param: route.from.param))
                }
            default: break
            }
        }
        self.keys = keys
    }

    /// The telemetry in a G1 sentence; nothing for requests and sentences the configuration
    /// does not name.
    public func decode(_ sentence: G1Sentence) -> [TelemetryValue] {
        guard !sentence.isRequest, let packet = g1Packets[sentence.name] else { return [] }
        return packet.params.flatMap { param in
            G1FieldDecoder.decode(param, fields: sentence.fields).map {
                values($0, scaling: param.scaling, at: ParamAddress(prot: "g1", packet: packet.sentence, param: param.name))
            } ?? []
        }
    }

    /// The telemetry in a CAN frame; nothing for ids the configuration does not name and for
    /// frames whose length is not the packet's `dlc`.
    public func decodeCAN(id: UInt32, extended: Bool, data: [UInt8]) -> [TelemetryValue] {
        for packet in canPackets {
            guard let group = packet.group(of: id, extended: extended) else { continue }
            guard packet.dlc < 0 || data.count == packet.dlc else { return [] }
            return packet.params.flatMap { param in
                CANSignalDecoder.decode(param, data: data, group: group).map {
                    values($0, scaling: param.scaling, at: ParamAddress(prot: "can", packet: packet.id.description, param: param.name))
                } ?? []
            }
        }
        return []
    }

    /// The telemetry keys a param is published under, in file order.
    func keys(prot: String, packet: String, param: String) -> [String] {
        keys[ParamAddress(prot: prot, packet: packet, param: param)] ?? []
    }

    private func values(_ value: TelemetryValue.Value, scaling: ParamScaling, at address: ParamAddress) -> [TelemetryValue] {
        let units = scaling.units?.isEmpty == true ? nil : scaling.units
        return (keys[address] ?? []).map { TelemetryValue(key: $0, value: value, units: units, isDecimal: scaling.givesFractions) }
    }
}
