import NIOCore

/// The rules of an RFC 2217 server for one client connection: Telnet option negotiation,
/// COM-PORT-OPTION commands turned into `SerialControl` operations for the far port, and
/// answers carrying what is actually in effect there.
///
/// Operations go into the tunnel and their `SerialControlResult`s come back in the order
/// sent, so the answers wait in a FIFO: each result answers the oldest waiting command.
/// "Ask" requests (value 0) are answered from the known settings without a round trip, in
/// turn behind any answer still waiting, so a client never sees an ask answered with a value
/// older than a change it sent before. No I/O: every input returns the actions to carry out.
public struct ComPortServerStateMachine: Sendable {
    /// Most answers that may wait at once. pyserial keeps at most five requests open (the four
    /// line settings of `open()`, then one at a time); a client far past that is not reading
    /// its answers, and further requests are ignored with a log line instead of growing the queue.
    public static let maxPendingAnswers = 64

    /// What the server calls itself when a client asks for its SIGNATURE.
    public static let defaultSignature = "tunnel-connect"

    /// What to carry out, in order.
    public enum Action: Equatable, Sendable {
        /// Send `IAC <verb> <option>` to the client.
        case sendNegotiation(TelnetVerb, TelnetOption)
        /// Send a COM-PORT-OPTION answer or notification to the client.
        case sendAnswer(ComPortAnswer)
        /// Serial bytes from the client for the tunnel.
        case forwardData(ByteBuffer)
        /// Send this operation into the tunnel; hand its result to `tunnelAnswered(_:)`.
        case sendControl(SerialControl)
        /// The client asked the server to stop sending it data (FLOWCONTROL-SUSPEND).
        case suspendOutput
        /// The client asked the server to send data again (FLOWCONTROL-RESUME).
        case resumeOutput
        /// Something worth a log line; nothing else to do.
        case log(Note)
    }

    /// What a log line should say.
    public enum Note: Equatable, Sendable {
        /// The port has no such line (a PTY has no DTR, RTS or BREAK): the client was answered
        /// with the state it asked for. Reported once per connection.
        case virtualLine(SerialControl.Operation)
        /// The port did not take a setting; the client was answered with the value in effect.
        case notApplied(SerialControlResult)
        /// The client told its signature.
        case clientSignature(String)
        /// An option the client offered or asked for was refused, or the client refused ours.
        case optionRefused(TelnetVerb, TelnetOption)
        /// A Telnet command that means nothing to a serial port server.
        case ignoredCommand(UInt8)
        /// A subnegotiation of an option other than COM-PORT-OPTION.
        case ignoredSubnegotiation(TelnetOption)
        /// A request that is understood but not acted on, and why.
        case ignoredRequest(ComPortRequest, reason: String)
        /// A COM-PORT-OPTION command that could not be read.
        case malformedRequest(ComPortRequestError)
        /// A tunnel result that matches no waiting answer.
        case unexpectedResult(SerialControlResult)
        /// A request ignored because `maxPendingAnswers` answers already wait.
        case tooManyWaiting
    }

    /// Where the connection stands.
    private enum State: Sendable {
        /// `start()` not called yet.
        case idle
        /// Our offers are out; COM-PORT-OPTION not agreed yet.
        case negotiating
        /// COM-PORT-OPTION agreed (either direction).
        case serving
    }

    /// RFC 1143's view of one side of an option, for options we want enabled.
    enum OptionState: Sendable {
        case no, wantYes, yes
    }

    /// An answer waiting its turn.
    enum Pending: Sendable {
        /// Waits for the result of an operation sent into the tunnel.
        case result(Expectation)
        /// An ask, answered from the settings once every earlier answer went out.
        case ask(Question)
    }

    /// What a tunnel result will answer.
    enum Expectation: Sendable {
        /// A setting or line change: update the settings, then answer the question.
        case update(Question)
        /// A purge of this target (answered with it, whatever the outcome).
        case purge(UInt8)
        /// A modem-state request.
        case modemState
    }

    /// A setting a client can ask for.
    enum Question: Sendable {
        case baudRate, dataSize, parity, stopSize, outboundFlow, inboundFlow, breakState, dtr, rts
    }

    /// The options we agree to and offer, on both sides.
    static let supportedOptions: Set<TelnetOption> = [.binary, .suppressGoAhead, .comPort]

    private var state: State = .idle
    /// Our side of each option (we WILL).
    private var ours: [TelnetOption: OptionState] = [:]
    /// The client's side of each option (we asked it to DO).
    private var theirs: [TelnetOption: OptionState] = [:]
    var pending = CircularBuffer<Pending>()
    var virtualLineReported = false
    /// What is believed to be in effect on the far port.
    public internal(set) var settings: ComPortSettings
    /// The text answered to a SIGNATURE request.
    public let signature: String

    /// A machine for a new connection; `settings` carries what an earlier connection learnt.
    public init(settings: ComPortSettings = ComPortSettings(), signature: String = Self.defaultSignature) {
        self.settings = settings
        self.signature = signature
    }

    /// Whether COM-PORT-OPTION has been agreed.
    public var isServing: Bool { state == .serving }

    /// Answers waiting for tunnel results: as many results are still owed to this connection.
    public var awaitedResults: Int {
        pending.reduce(0) { count, item in if case .result = item { count + 1 } else { count } }
    }

    /// The connection is up: offer BINARY both ways, SUPPRESS-GO-AHEAD both ways and
    /// COM-PORT-OPTION both ways.
    public mutating func start() -> [Action] {
        guard state == .idle else { return [] }
        state = .negotiating
        var actions: [Action] = []
        for option in [TelnetOption.binary, .suppressGoAhead, .comPort] {
            ours[option] = .wantYes
            theirs[option] = .wantYes
            actions.append(.sendNegotiation(.will, option))
            actions.append(.sendNegotiation(.do, option))
        }
        return actions
    }

    /// An event from the client.
    public mutating func receive(_ event: TelnetEvent) -> [Action] {
        switch event {
        case .data(let bytes):
            return [.forwardData(bytes)]
        case .negotiation(let verb, let option):
            return negotiate(verb, option)
        case .comPort(let code, let value):
            let agreed = comPortInUse()
            do {
                return agreed + handle(try ComPortRequest(command: code, value: value))
            } catch {
                return agreed + [.log(.malformedRequest(error))]
            }
        case .subnegotiation(let option, _):
            return [.log(.ignoredSubnegotiation(option))]
        case .command(let command):
            return command == Telnet.nop || command == Telnet.ga ? [] : [.log(.ignoredCommand(command))]
        }
    }

    /// RFC 1143 for options we want on and never turn off ourselves.
    private mutating func negotiate(_ verb: TelnetVerb, _ option: TelnetOption) -> [Action] {
        let supported = Self.supportedOptions.contains(option)
        let theirSide = verb == .will || verb == .wont
        let current = (theirSide ? theirs[option] : ours[option]) ?? .no
        var actions: [Action] = []
        let next: OptionState
        switch (verb, supported) {
        case (.will, false), (.do, false):
            return [.sendNegotiation(verb == .will ? .dont : .wont, option), .log(.optionRefused(verb, option))]
        case (.wont, false), (.dont, false):
            return []
        case (.will, true), (.do, true):
            if current == .no { actions.append(.sendNegotiation(verb == .will ? .do : .will, option)) }
            next = .yes
        case (.wont, true), (.dont, true):
            if current == .yes { actions.append(.sendNegotiation(verb == .wont ? .dont : .wont, option)) }
            if current != .no { actions.append(.log(.optionRefused(verb, option))) }
            next = .no
        }
        if theirSide { theirs[option] = next } else { ours[option] = next }
        if option == .comPort, next == .yes { actions += startServing() }
        return actions
    }

    /// A COM-PORT-OPTION command while still negotiating: the client agreed without saying so.
    /// When our offers reach a client before it sends its own, the client may take our
    /// `WILL`/`DO COM-PORT-OPTION` for the answers to offers it has not sent yet, and then
    /// never sends them (pyserial does: its options start as requested). Its command shows
    /// that it uses the option.
    private mutating func comPortInUse() -> [Action] {
        guard state == .negotiating else { return [] }
        theirs[.comPort] = .yes
        return startServing()
    }

    /// COM-PORT-OPTION agreed: serve, and fetch a first NOTIFY-MODEMSTATE so that a client
    /// reading CTS or DSR has a value (pyserial fails `cts` when none ever came).
    private mutating func startServing() -> [Action] {
        guard state == .negotiating else { return [] }
        state = .serving
        return send(.queryState, expecting: .modemState)
    }
}
