/// Reading `protocols.can`: packets, their id ranges and their params.
extension ParamsConfig {
    /// Keys of a G1 param, noticed when they appear in a CAN param.
    static let g1OnlyKeys: Set = ["field", "encoding", "format", "bit", "index_field"]
    /// Bits in a classic CAN frame's data.
    static let frameBits = 64

    static func readCANProtocol(_ object: ConfigObjectReader) -> CANProtocol {
        defer { object.finish() }
        let period = object.number("request_period", default: defaultRequestPeriod, expected: periodExpected) { $0 > 0 }
        var packets: [CANPacket] = []
        var paths: [JSONPath] = []
        if let map = object.object("packets") {
            for member in map.members {
                let path = map.path.appending(member.key)
                guard let entry = ConfigObjectReader(member.value, at: path, issues: map.issues),
                    let packet = readCANPacket(member.key, entry)
                else {
                    continue
                }
                packets.append(packet)
                paths.append(path)
            }
        }
        checkOverlaps(packets, at: paths, issues: object.issues)
        return CANProtocol(requestPeriod: period, packets: packets)
    }

    /// Records a problem for each packet whose ids an earlier packet (in file order) already
    /// covers. Sorted by first id, so a file of many packets is checked in n log n.
    static func checkOverlaps(_ packets: [CANPacket], at paths: [JSONPath], issues: ConfigIssues) {
        func key(_ index: Int) -> (Int, UInt32, Int) { (packets[index].id.extended ? 1 : 0, packets[index].id.value, index) }
        let order = packets.indices.sorted { key($0) < key($1) }
        var clashes: [(later: Int, earlier: Int)] = []
        var widest: Int?  // of the packets sorted before, the one reaching furthest
        for index in order {
            if let previous = widest, overlap(packets[previous], packets[index]) {
                clashes.append((max(previous, index), min(previous, index)))
                if end(packets[index]) > end(packets[previous]) { widest = index }
            } else {
                widest = index
            }
        }
        for clash in clashes.sorted(by: { $0.later < $1.later }) {
            let packet = packets[clash.later]
            let other = packets[clash.earlier]
            issues.problem(
                at: paths[clash.later], found: "ids \(idSpan(packet)), shared with packet \(other.name) (\(idSpan(other)))",
                expected: "ids no other packet covers")
        }
    }

    /// One past the packet's last id.
    private static func end(_ packet: CANPacket) -> UInt64 {
        UInt64(packet.id.value) + UInt64(packet.range)
    }

    /// The packet, or nil when it has no usable id (the problem is recorded).
    static func readCANPacket(_ name: String, _ object: ConfigObjectReader) -> CANPacket? {
        defer { object.finish() }
        let id = object.optionalString("id", expected: CANPacketID.expected) { CANPacketID($0) != nil }.flatMap(CANPacketID.init)
        let keyID = object.has("id") ? nil : CANPacketID(name)
        if !object.has("id"), keyID == nil {
            object.problem(found: "key \"\(name)\" and no id", expected: CANPacketID.expected + ", as the key or as id")
        }
        let dlc = object.integer("dlc", default: -1, in: -1...8)
        let range = object.integer("range", default: 1, in: 1...Int(UInt32.max))
        let period = object.optionalNumber("request_period", expected: periodExpected) { $0 > 0 }
        guard let packetID = id ?? keyID else { return nil }
        if UInt64(packetID.value) + UInt64(range) - 1 > UInt64(packetID.maxValue) {
            object.problem(
                "range", found: "\(range) from \(packetID)",
                expected:
                    "at most \(UInt64(packetID.maxValue) - UInt64(packetID.value) + 1), so that the last id fits in \(packetID.extended ? 29 : 11) bits"
            )
        }
        let params = object.object("params").map { map in
            map.members.compactMap { member in
                ConfigObjectReader(member.value, at: map.path.appending(member.key), issues: map.issues).map {
                    readCANParam(member.key, $0, dlc: dlc)
                }
            }
        }
        return CANPacket(name: name, id: packetID, dlc: dlc, range: range, requestPeriod: period, params: params ?? [])
    }

    static func readCANParam(_ name: String, _ object: ConfigObjectReader, dlc: Int) -> CANParam {
        let problemsBefore = object.issues.problems.count
        let starts = object.array("word_starts", expected: "an array of start bits, least significant word first").map { elements in
            elements.enumerated().map { index, element in
                guard case .number(let bit) = element, bit.rounded() == bit, (0...63).contains(bit) else {
                    object.issues.problem(
                        at: object.path.appending("word_starts").appending(index), found: element.summary,
                        expected: "an integer from 0 to 63")
                    return 0
                }
                return Int(bit)
            }
        }
        let param = CANParam(
            name: name, start: object.integer("start", default: 0, in: 0...63), bits: object.integer("bits", default: 8, in: 1...64),
            packing: object.choice("packing", among: CANPacking.allCases.map(\.rawValue)).flatMap(CANPacking.init) ?? .single,
            packLength: object.integer("pack_length", default: 1, in: 1...64), wordStarts: starts, scaling: readScaling(object),
            validTop: object.number("valid_top", default: 0), validBot: object.number("valid_bot", default: 0),
            sendInvalid: object.bool("send_invalid", default: false), routeToMQTT: readRouteToMQTT(object))
        if object.issues.problems.count == problemsBefore { checkCANParam(param, object, dlc: dlc) }
        for member in object.members where g1OnlyKeys.contains(member.key) {
            _ = object.value(member.key)
            object.notice(member.key, .unknownKey, "a G1 param key, ignored in a CAN param")
        }
        object.finish()
        return param
    }

    /// Combinations the types alone do not rule out: the bits fit the frame, the packing's
    /// keys agree, the valid range is a range. Made only when every value has the right form,
    /// so that no problem is about a default standing in for a wrong value.
    static func checkCANParam(_ param: CANParam, _ object: ConfigObjectReader, dlc: Int) {
        if param.packing == .single, param.packLength != 1 {
            object.problem("pack_length", found: "\(param.packLength) with packing SINGLE", expected: "1, or packing LIST or WORDS")
        }
        if let starts = param.wordStarts, object.contains("pack_length"), starts.count != param.packLength {
            object.problem(
                "pack_length", found: "\(param.packLength) with \(starts.count) word_starts", expected: "as many words as word_starts lists"
            )
        }
        if param.packing == .words, param.bits * param.wordPositions.count > 64 {
            object.problem(
                "bits", found: "\(param.wordPositions.count) words of \(param.bits) bits", expected: "a WORDS value of at most 64 bits")
        }
        if param.wordStarts != nil, param.packing != .words {
            object.problem(
                "word_starts", found: "word_starts with packing \(param.packing.rawValue)", expected: "no word_starts, or packing WORDS")
        }
        let limit = dlc >= 0 ? min(frameBits, dlc * 8) : frameBits
        for span in param.spans where span.start + span.width > limit {
            let what =
                param.packing == .list
                ? "start \(span.start) + \(param.packLength) × \(param.bits) bits" : "start \(span.start) + bits \(span.width)"
            let reason = dlc >= 0 ? "the packet's dlc is \(dlc) bytes" : "a CAN frame carries 8 bytes"
            object.problem(found: "\(what) = \(span.start + span.width)", expected: "at most \(limit) bits: \(reason)")
        }
        if param.scaling.type == .bool, param.packing == .list {
            object.problem("type", found: "BOOL with packing LIST", expected: "FIXED: a LIST is a list of numbers")
        }
        if param.validBot > param.validTop {
            object.problem(
                "valid_bot", found: "\(JSONValue.text(of: param.validBot)) above valid_top \(JSONValue.text(of: param.validTop))",
                expected: "valid_bot ≤ valid_top")
        }
    }

    static func overlap(_ one: CANPacket, _ other: CANPacket) -> Bool {
        guard one.id.extended == other.id.extended else { return false }
        let a = UInt64(one.id.value)..<UInt64(one.id.value) + UInt64(one.range)
        let b = UInt64(other.id.value)..<UInt64(other.id.value) + UInt64(other.range)
        return a.overlaps(b)
    }

    static func idSpan(_ packet: CANPacket) -> String {
        packet.range == 1
            ? packet.id.description
            : "\(packet.id) to \(CANPacketID(extended: packet.id.extended, value: packet.id.value + UInt32(min(packet.range - 1, Int(packet.id.maxValue - packet.id.value)))))"
    }
}
