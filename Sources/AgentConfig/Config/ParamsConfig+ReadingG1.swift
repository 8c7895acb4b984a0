import SharedWire

/// Reading `protocols.g1`: formats, packets and their params.
extension ParamsConfig {
    /// A G1 sentence name: two capital letters and a digit (every name in the reference).
    static let sentencePattern = "^[A-Z]{2}[0-9]$"
    /// Keys of a CAN param, noticed when they appear in a G1 param.
    static let canOnlyKeys: Set = ["start", "bits", "packing", "pack_length", "word_starts", "valid_top", "valid_bot", "send_invalid"]

    static func readG1Protocol(_ object: ConfigObjectReader) -> G1Protocol {
        defer { object.finish() }
        let period = object.number("request_period", default: defaultRequestPeriod, expected: periodExpected) { $0 > 0 }
        let formats =
            object.object("formats").map { map in
                map.members.compactMap { member in
                    ConfigObjectReader(member.value, at: map.path.appending(member.key), issues: map.issues).map {
                        readG1Format(member.key, $0)
                    }
                }
            } ?? []
        var packets: [G1Packet] = []
        var packetOfSentence: [String: String] = [:]
        if let map = object.object("packets") {
            for member in map.members {
                let path = map.path.appending(member.key)
                guard let entry = ConfigObjectReader(member.value, at: path, issues: map.issues) else { continue }
                let packet = readG1Packet(member.key, entry, formats: formats)
                if let earlier = packetOfSentence[packet.sentence] {
                    map.issues.problem(
                        at: path, found: "sentence \(packet.sentence) again",
                        expected: "one packet per sentence (packet \(earlier) reads \(packet.sentence))")
                }
                packetOfSentence[packet.sentence] = packetOfSentence[packet.sentence] ?? packet.name
                packets.append(packet)
            }
        }
        return G1Protocol(requestPeriod: period, formats: formats, packets: packets)
    }

    static func readG1Format(_ name: String, _ object: ConfigObjectReader) -> G1Format {
        defer {
            object.finish(
                unknownDetail: "not a format attribute (encoding, big_end, signed, offset, factor, decimals, units, type); ignored")
        }
        let scaling = readScaling(object)
        return G1Format(
            name: name, encoding: readEncoding(object),
            bigEndian: object.contains("big_end") ? scaling.bigEndian : nil, signed: object.contains("signed") ? scaling.signed : nil,
            offset: object.contains("offset") ? scaling.offset : nil, factor: object.contains("factor") ? scaling.factor : nil,
            decimals: object.contains("decimals") ? scaling.decimals : nil, units: scaling.units,
            type: object.contains("type") ? scaling.type : nil)
    }

    static func readEncoding(_ object: ConfigObjectReader) -> G1Encoding? {
        object.choice("encoding", among: G1Encoding.allCases.map(\.rawValue)).flatMap(G1Encoding.init)
    }

    static func readG1Packet(_ name: String, _ object: ConfigObjectReader, formats: [G1Format]) -> G1Packet {
        defer { object.finish() }
        let expected = "a G1 sentence name: two capital letters and a digit, for example \"CV1\""
        let id = object.optionalString("id", expected: expected) { $0.wholeMatches(sentencePattern) }
        if !object.has("id"), !name.wholeMatches(sentencePattern) {
            object.problem(found: "key \"\(name)\" and no id", expected: "\(expected), as the key or as id")
        }
        if let sentence = id ?? (name.wholeMatches(sentencePattern) ? name : nil), let refusal = pollingRefusal(of: sentence) {
            if id != nil {
                object.problem("id", found: "\"\(sentence)\" (\(refusal))", expected: pollingExpected)
            } else {
                object.problem(found: "sentence \(sentence) (\(refusal))", expected: pollingExpected)
            }
        }
        let period = object.optionalNumber("request_period", expected: periodExpected) { $0 > 0 }
        let params = object.object("params").map { map in
            map.members.compactMap { member in
                ConfigObjectReader(member.value, at: map.path.appending(member.key), issues: map.issues).map {
                    readG1Param(member.key, $0, formats: formats)
                }
            }
        }
        return G1Packet(name: name, sentence: id ?? name, requestPeriod: period, params: params ?? [])
    }

    /// What a packet's sentence may be: the poller sends `NAME,?` on its own, so only names
    /// whose plain request reads state (the monitor-session allow-list of `G1Catalogue`).
    static let pollingExpected =
        "a sentence whose request only reads state (" + G1Catalogue.readingNames.sorted().joined(separator: ", ")
        + "); sentences that change the BMS are sent only from an engineer's control session"

    /// Why the poller may not send `NAME,?` for `sentence`, or nil when it only reads state.
    static func pollingRefusal(of sentence: String) -> String? {
        switch G1Catalogue.effect(of: G1Sentence.request(sentence)) {
        case .reads: nil
        case .changesState: "its request changes the BMS's state"
        case .unknown: "not a sentence of the G1 reference"
        }
    }

    static func readG1Param(_ name: String, _ object: ConfigObjectReader, formats: [G1Format]) -> G1Param {
        let problemsBefore = object.issues.problems.count
        let formatNames = formats.map(\.name)
        let formatName = object.optionalString(
            "format",
            expected: "the name of a format in $.protocols.g1.formats ("
                + (formatNames.isEmpty ? "none declared" : formatNames.joined(separator: ", ")) + ")"
        ) { formatNames.contains($0) }
        let format = formats.first { $0.name == formatName }
        let param = G1Param(
            name: name, field: object.integer("field", default: 1, in: 1...255), encoding: readEncoding(object) ?? format?.encoding ?? .hex,
            format: formatName, bit: object.optionalInteger("bit", in: 0...63),
            indexField: object.optionalInteger("index_field", in: 1...255),
            scaling: readScaling(object, format: format), routeToMQTT: readRouteToMQTT(object))
        if object.issues.problems.count == problemsBefore { checkG1Param(param, object) }
        for member in object.members where canOnlyKeys.contains(member.key) {
            _ = object.value(member.key)
            object.notice(member.key, .unknownKey, "a CAN param key, ignored in a G1 param")
        }
        object.finish()
        return param
    }

    /// Combinations the types alone do not rule out, checked when every value has the right form.
    static func checkG1Param(_ param: G1Param, _ object: ConfigObjectReader) {
        let numeric = [G1Encoding.hex, .hexDec, .dec]
        if let bit = param.bit, !numeric.contains(param.encoding) {
            object.problem(
                "bit", found: "bit \(bit) with encoding \(param.encoding.rawValue)", expected: "no bit, or a HEX, HEX_DEC or DEC encoding")
        }
        if let index = param.indexField {
            if param.encoding != .bytes {
                object.problem(
                    "index_field", found: "\(index) with encoding \(param.encoding.rawValue)", expected: "no index_field, or encoding BYTES"
                )
            } else if index == param.field {
                object.problem("index_field", found: "\(index), the param's own field", expected: "another field than field \(param.field)")
            }
        }
        if param.encoding == .bytes, param.scaling.type == .bool {
            object.problem("type", found: "BOOL with encoding BYTES", expected: "FIXED: a BYTES field is a list of numbers")
        }
    }
}
