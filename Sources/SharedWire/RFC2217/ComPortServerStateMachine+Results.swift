extension ComPortServerStateMachine {
    /// The tunnel's result for the oldest operation sent: answer it with the value in
    /// effect, then every ask that waited behind it.
    public mutating func tunnelAnswered(_ result: SerialControlResult) -> [Action] {
        guard case .result(let expectation)? = pending.first else {
            return [.log(.unexpectedResult(result))]
        }
        pending.removeFirst()
        var actions: [Action] = []
        if result.operation == expectation.operation {
            actions += take(result, for: expectation)
        } else {
            // Results come back in order, so this is a broken peer; answer from what is known
            // so the client is not left waiting.
            actions.append(.log(.unexpectedResult(result)))
            actions.append(.sendAnswer(fallbackAnswer(expectation)))
        }
        while case .ask(let question)? = pending.first {
            pending.removeFirst()
            actions.append(.sendAnswer(answer(question)))
        }
        return actions
    }

    /// Line and modem state the agent reported by itself: notify the client of what its
    /// masks select.
    public mutating func tunnelReported(_ state: SerialState) -> [Action] {
        guard isServing else { return [] }
        var actions: [Action] = []
        let modem = settings.modemStateWithDeltas(state.modemState)
        if modem & 0x0F != 0 || settings.modemState == nil, modem & settings.modemStateMask != 0 {
            actions.append(.sendAnswer(.modemState(modem & settings.modemStateMask)))
        }
        settings.modemState = state.modemState & 0xF0
        if state.lineState & settings.lineStateMask != 0 {
            actions.append(.sendAnswer(.lineState(state.lineState & settings.lineStateMask)))
        }
        return actions
    }

    /// Updates the settings from a result and makes the answer.
    private mutating func take(_ result: SerialControlResult, for expectation: Expectation) -> [Action] {
        var actions: [Action] = []
        switch expectation {
        case .update(let question):
            update(question, from: result.value)
            if result.status != .applied {
                if result.status == .unsupported, question.isLine {
                    if !virtualLineReported { actions.append(.log(.virtualLine(result.operation))) }
                    virtualLineReported = true
                } else {
                    actions.append(.log(.notApplied(result)))
                }
            }
            actions.append(.sendAnswer(answer(question)))
        case .purge(let target):
            if result.status != .applied { actions.append(.log(.notApplied(result))) }
            actions.append(.sendAnswer(.purgeData(target)))
        case .modemState:
            let modem = settings.modemStateWithDeltas(UInt8(truncatingIfNeeded: result.value))
            settings.modemState = modem & 0xF0
            actions.append(.sendAnswer(.modemState(modem & settings.modemStateMask)))
        }
        return actions
    }

    /// Takes a result's value as what is in effect. For DTR, RTS and BREAK the value repeats
    /// the request, so a port without the line records the state asked for. A value that
    /// cannot be a setting (0 when the port could not be read) leaves the setting as it was.
    private mutating func update(_ question: Question, from value: UInt32) {
        let byte = UInt8(exactly: value)
        switch question {
        case .baudRate:
            if value != 0 { settings.parameters.baudRate = value }
        case .dataSize:
            if let byte, (5...8).contains(byte) { settings.parameters.dataBits = byte }
        case .parity:
            if let parity = byte.flatMap(SerialParameters.Parity.init) { settings.parameters.parity = parity }
        case .stopSize:
            if let stop = byte.flatMap(SerialParameters.StopBits.init) { settings.parameters.stopBits = stop }
        case .outboundFlow, .inboundFlow:
            if let flow = byte.flatMap(SerialParameters.FlowControl.init) { settings.parameters.flowControl = flow }
        case .breakState: settings.breakOn = value != 0
        case .dtr: settings.dtr = value != 0
        case .rts: settings.rts = value != 0
        }
    }

    /// The answer to give when no usable result came.
    private func fallbackAnswer(_ expectation: Expectation) -> ComPortAnswer {
        switch expectation {
        case .update(let question): answer(question)
        case .purge(let target): .purgeData(target)
        case .modemState: .modemState((settings.modemState ?? 0) & settings.modemStateMask)
        }
    }
}

extension ComPortServerStateMachine.Expectation {
    /// The tunnel operation whose result this waits for.
    var operation: SerialControl.Operation {
        switch self {
        case .update(let question): question.operation
        case .purge: .purge
        case .modemState: .queryState
        }
    }
}

extension ComPortServerStateMachine.Question {
    /// The tunnel operation that changes this setting.
    var operation: SerialControl.Operation {
        switch self {
        case .baudRate: .setBaudRate
        case .dataSize: .setDataBits
        case .parity: .setParity
        case .stopSize: .setStopBits
        case .outboundFlow, .inboundFlow: .setFlowControl
        case .breakState: .setBreak
        case .dtr: .setDTR
        case .rts: .setRTS
        }
    }

    /// DTR, RTS and BREAK: lines a PTY does not have.
    var isLine: Bool { self == .breakState || self == .dtr || self == .rts }
}
