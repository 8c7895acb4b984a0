/// One server-sent event in its wire form (`text/event-stream`).
enum ServerSentEvent {
    /// `data` split at its line ends into `data:` lines, which the browser joins again with a
    /// line feed: a device's JSON may hold line breaks between its tokens, and none may end the
    /// event early or start a forged one.
    static func text(event: String? = nil, data: String) -> String {
        var text = event.map { "event: \($0)\n" } ?? ""
        for line in data.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            text += "data: \(line)\n"
        }
        return text + "\n"
    }
}
