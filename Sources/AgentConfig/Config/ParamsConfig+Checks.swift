/// Checks across the file: routes name packets and params that exist.
extension ParamsConfig {
    /// Records what is wrong with `route`, or a notice when it is one this build does not act on.
    func checkRoute(_ route: Route, at path: JSONPath, issues: ConfigIssues) {
        let from = path.appending("from")
        switch route.from.prot {
        case "g1": checkG1Source(route.from, at: from, issues: issues)
        case "can": checkCANSource(route.from, at: from, issues: issues)
        case "mqtt":
            issues.notice(
                at: from.appending("prot"), .unsupported, "routes from mqtt (commands to the BMS) are not acted on; route ignored")
        default: break  // already a problem of form
        }
        if ["g1", "can"].contains(route.to.prot) {
            issues.notice(at: path.appending("to").appending("prot"), .unsupported, "this build routes to mqtt only; route ignored")
        }
    }

    private func checkG1Source(_ source: Route.Source, at path: JSONPath, issues: ConfigIssues) {
        let packets = protocols.g1?.packets ?? []
        guard let sentence = source.sentence else {
            issues.problem(at: path.appending("sentence"), found: "nothing", expected: "the sentence of a packet in $.protocols.g1.packets")
            return
        }
        guard let packet = packets.first(where: { $0.sentence == sentence }) else {
            issues.problem(
                at: path.appending("sentence"), found: "\"\(sentence)\"",
                expected: "the sentence of a packet in $.protocols.g1.packets (" + Self.list(packets.map(\.sentence)) + ")")
            return
        }
        checkParam(source.param, among: packet.params.map(\.name), of: "g1 packet \(packet.sentence)", at: path, issues: issues)
    }

    private func checkCANSource(_ source: Route.Source, at path: JSONPath, issues: ConfigIssues) {
        let packets = protocols.can?.packets ?? []
        guard let text = source.id else {
            issues.problem(at: path.appending("id"), found: "nothing", expected: "the id of a packet in $.protocols.can.packets")
            return
        }
        guard let id = CANPacketID(text) else { return }  // already a problem of form
        guard let packet = packets.first(where: { $0.id == id }) else {
            issues.problem(
                at: path.appending("id"), found: "\"\(text)\"",
                expected: "the id of a packet in $.protocols.can.packets (" + Self.list(packets.map(\.id.description)) + ")")
            return
        }
        checkParam(source.param, among: packet.params.map(\.name), of: "can packet \(packet.id)", at: path, issues: issues)
    }

    private func checkParam(_ name: String, among names: [String], of packet: String, at path: JSONPath, issues: ConfigIssues) {
        guard !name.isEmpty, !names.contains(name) else { return }
        issues.problem(at: path.appending("param"), found: "\"\(name)\"", expected: "a param of \(packet) (" + Self.list(names) + ")")
    }

    /// A list for a problem, cut after ten names.
    static func list(_ names: [String]) -> String {
        guard !names.isEmpty else { return "none" }
        return names.prefix(10).joined(separator: ", ") + (names.count > 10 ? ", …" : "")
    }
}
