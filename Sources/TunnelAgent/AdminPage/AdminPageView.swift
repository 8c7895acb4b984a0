import Foundation

/// The admin page's HTML: plain server-rendered pages, every value escaped, no script.
enum AdminPageView {
    /// What the status page shows, gathered by the server.
    struct Status {
        let facts: AgentFacts.Snapshot
        let settings: AgentConfiguration
        let queue: (count: Int, bytes: Int, dropped: Int64, oldest: Date?)?
        let sessions: Int
        let telemetry: [TelemetryRecord]
        let logLines: [String]
        let version: String
        let fingerprint: String
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func page(_ title: String, _ body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · tunnel-agent</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem;color:#222}
        h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:1.5rem;border-bottom:1px solid #ccc}
        table{border-collapse:collapse} td,th{padding:.2rem .8rem .2rem 0;text-align:left;vertical-align:top}
        .bad{color:#a00} .good{color:#070} pre{background:#f4f4f4;padding:.5rem;overflow:auto;max-height:30rem}
        textarea{width:100%;height:28rem;font-family:monospace} nav form{display:inline}
        </style></head><body>
        \(body)
        </body></html>
        """
    }

    static func signIn(message: String?) -> String {
        page(
            "Sign in",
            """
            <h1>tunnel-agent: sign in</h1>
            \(message.map { "<p id=\"message\" class=\"bad\">\(escape($0))</p>" } ?? "")
            <form method="post" action="/sign-in">
            <label>Passkey <input id="passkey" type="password" name="passkey" autocomplete="current-password" autofocus></label>
            <button id="sign-in" type="submit">Sign in</button>
            </form>
            """)
    }

    private static func nav(csrf: String) -> String {
        """
        <nav><a href="/">Status</a> · <a href="/edit/settings.json">settings.json</a> ·
        <a href="/edit/params_config.json">params_config.json</a> ·
        <form method="post" action="/sign-out"><input type="hidden" name="csrf" value="\(escape(csrf))">
        <button id="sign-out" type="submit">Sign out</button></form></nav>
        """
    }

    private static func rows(_ rows: [(String, String)]) -> String {
        "<table>" + rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined() + "</table>"
    }

    private static func time(_ date: Date?) -> String {
        date.map { ISO8601DateFormatter().string(from: $0) } ?? "never"
    }

    static func status(_ status: Status, csrf: String) -> String {
        let facts = status.facts
        let settings = status.settings.settings
        let serial = settings.serial
        let telemetry = status.telemetry.map {
            "<tr><td>\(escape(time(Date(timeIntervalSince1970: Double($0.timestamp) / 1000))))</td><td><code>\(escape($0.members))</code></td></tr>"
        }.joined()
        return page(
            "Status",
            """
            <h1>tunnel-agent on this gateway</h1>
            \(nav(csrf: csrf))
            <h2>BMS link</h2>
            \(rows([
                ("Serial port", serial.enabled ? "\(serial.device) at \(serial.speed) baud" : "disabled"),
                ("Line open", facts.serialOpen ? "yes" : "no"),
                ("Last valid sentence", time(facts.lastBMSSentence)),
                ("Sentences since the line opened", "\(facts.bmsSentences) valid, \(facts.bmsInvalidLines) invalid (noise, CRC errors)"),
                ("BMS firmware", facts.bmsFirmware ?? "unknown"), ("BMS serial number", facts.bmsSerialNumber ?? "unknown"),
            ]))
            <h2>Uplink (MQTT)</h2>
            \(rows([
                ("Broker", settings.mqtt.map { $0.enabled ? $0.uri : "disabled" } ?? "no mqtt section"),
                ("Connected", facts.brokerConnectedSince.map { "since \(time($0))" } ?? "no"),
                ("Records waiting", status.queue.map { "\($0.count) (\($0.bytes) bytes)" } ?? "no queue"),
                ("Oldest waiting", status.queue.map { time($0.oldest) } ?? "none"),
                ("Dropped by the bounds", status.queue.map { "\($0.dropped)" } ?? "0"),
            ]))
            <h2>Tunnel</h2>
            \(rows([
                ("Relay", settings.tunnel?.relay ?? "no tunnel section"),
                ("State", facts.relayConnectedSince.map { "connected since \(time($0))" } ?? "not connected"),
                ("Sessions", "\(status.sessions)"),
                ("Device certificate", facts.certificateSerial ?? "unknown"),
                ("Certificate expires", time(facts.certificateNotAfter)),
            ]))
            <h2>Versions and configuration</h2>
            \(rows([
                ("tunnel-agent", status.version), ("Settings in effect", status.settings.settingsPath),
                ("Configuration hash", facts.configurationHash),
                ("Last refused configuration", facts.lastConfigurationRefusal ?? "none"),
                ("This page's certificate (SHA-256)", status.fingerprint),
            ]))
            <h2>Latest telemetry</h2>
            <table id="telemetry">\(telemetry.isEmpty ? "<tr><td>none yet</td></tr>" : telemetry)</table>
            <h2>Log (last \(status.logLines.count) lines)</h2>
            <pre id="log">\(escape(status.logLines.joined(separator: "\n")))</pre>
            """)
    }

    /// The editor of one file: its text with secrets masked, and what the last save came to.
    static func editor(file: String, text: String, problems: [String], notice: String?, csrf: String) -> String {
        let problemList =
            problems.isEmpty
            ? "" : "<ul id=\"problems\" class=\"bad\">" + problems.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        return page(
            file,
            """
            <h1>Edit \(escape(file))</h1>
            \(nav(csrf: csrf))
            <p>Checked like <code>tunnel-agent check-config</code> before it is used, and put on probation: a file that
            keeps the agent from working is rolled back. Secrets show as <code>***</code>; leave them so to keep them.
            The <code>tunnel</code> section cannot be changed here.</p>
            \(notice.map { "<p id=\"notice\" class=\"good\">\(escape($0))</p>" } ?? "")
            \(problemList)
            <form method="post" action="/edit/\(escape(file))">
            <input type="hidden" name="csrf" value="\(escape(csrf))">
            <textarea id="text" name="text" spellcheck="false">\(escape(text))</textarea>
            <button id="save" type="submit">Check and save</button>
            </form>
            """)
    }
}
