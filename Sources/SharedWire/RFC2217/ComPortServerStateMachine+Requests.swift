extension ComPortServerStateMachine {
    /// A client's COM-PORT-OPTION request.
    mutating func handle(_ request: ComPortRequest) -> [Action] {
        switch request {
        case .signature(let text):
            return text.isEmpty ? [.sendAnswer(.signature(signature))] : [.log(.clientSignature(text))]
        case .setBaudRate(let rate):
            return rate == 0 ? ask(.baudRate) : send(.setBaudRate(rate), expecting: .update(.baudRate))
        case .setDataSize(let bits):
            switch bits {
            case 0: return ask(.dataSize)
            case 5...8: return send(.setDataBits(bits), expecting: .update(.dataSize))
            default: return invalid(request, answering: .dataSize)
            }
        case .setParity(let value):
            if value == 0 { return ask(.parity) }
            guard let parity = SerialParameters.Parity(rawValue: value) else { return invalid(request, answering: .parity) }
            return send(.setParity(parity), expecting: .update(.parity))
        case .setStopSize(let value):
            if value == 0 { return ask(.stopSize) }
            guard let stop = SerialParameters.StopBits(rawValue: value) else { return invalid(request, answering: .stopSize) }
            return send(.setStopBits(stop), expecting: .update(.stopSize))
        case .setControl(let value):
            guard let control = ComPortControl(rawValue: value) else {
                return [.log(.ignoredRequest(request, reason: "unknown SET-CONTROL value"))]
            }
            return handle(control, request: request)
        case .notifyLineState:
            return [.log(.ignoredRequest(request, reason: "line state is sent by the server, not the client"))]
        case .notifyModemState:
            return send(.queryState, expecting: .modemState)
        case .flowControlSuspend:
            return [.suspendOutput]
        case .flowControlResume:
            return [.resumeOutput]
        case .setLineStateMask(let mask):
            settings.lineStateMask = mask
            return [.sendAnswer(.lineStateMask(mask))]
        case .setModemStateMask(let mask):
            settings.modemStateMask = mask
            return [.sendAnswer(.modemStateMask(mask))]
        case .purgeData(let target):
            guard let purge = SerialControl.PurgeTarget(rawValue: UInt32(target)) else {
                return [.log(.ignoredRequest(request, reason: "PURGE-DATA takes 1, 2 or 3"))]
            }
            return send(.purge(purge), expecting: .purge(target))
        }
    }

    /// SET-CONTROL: flow control, BREAK, DTR, RTS, and the asks for each.
    private mutating func handle(_ control: ComPortControl, request: ComPortRequest) -> [Action] {
        switch control {
        case .askOutboundFlow: return ask(.outboundFlow)
        case .askInboundFlow: return ask(.inboundFlow)
        case .askBreak: return ask(.breakState)
        case .askDTR: return ask(.dtr)
        case .askRTS: return ask(.rts)
        case .outboundFlowNone, .outboundFlowXonXoff, .outboundFlowHardware:
            return send(.setFlowControl(control.flowControl!), expecting: .update(.outboundFlow))
        case .inboundFlowNone, .inboundFlowXonXoff, .inboundFlowHardware:
            return send(.setFlowControl(control.flowControl!), expecting: .update(.inboundFlow))
        case .breakOn, .breakOff:
            return send(.setBreak(control == .breakOn), expecting: .update(.breakState))
        case .dtrOn, .dtrOff:
            return send(.setDTR(control == .dtrOn), expecting: .update(.dtr))
        case .rtsOn, .rtsOff:
            return send(.setRTS(control == .rtsOn), expecting: .update(.rts))
        case .outboundFlowDCD, .outboundFlowDSR:
            return invalid(request, answering: .outboundFlow)
        case .inboundFlowDTR:
            return invalid(request, answering: .inboundFlow)
        }
    }

    /// Sends an operation into the tunnel with its answer waiting in the FIFO.
    mutating func send(_ control: SerialControl, expecting expectation: Expectation) -> [Action] {
        guard pending.count < Self.maxPendingAnswers else {
            return [.log(.tooManyWaiting)]
        }
        pending.append(.result(expectation))
        return [.sendControl(control)]
    }

    /// Answers an ask from the settings: now when nothing waits, else in turn.
    mutating func ask(_ question: Question) -> [Action] {
        if pending.isEmpty { return [.sendAnswer(answer(question))] }
        guard pending.count < Self.maxPendingAnswers else { return [.log(.tooManyWaiting)] }
        pending.append(.ask(question))
        return []
    }

    /// A value the port cannot take: answered with what is in effect, as RFC 2217 asks.
    private mutating func invalid(_ request: ComPortRequest, answering question: Question) -> [Action] {
        [.log(.ignoredRequest(request, reason: "value not supported; answered with the value in effect"))]
            + ask(question)
    }

    /// The answer to a question from the settings.
    func answer(_ question: Question) -> ComPortAnswer {
        let parameters = settings.parameters
        return switch question {
        case .baudRate: .baudRate(parameters.baudRate)
        case .dataSize: .dataSize(parameters.dataBits)
        case .parity: .parity(parameters.parity)
        case .stopSize: .stopSize(parameters.stopBits)
        case .outboundFlow: .control(.flow(parameters.flowControl, inbound: false))
        case .inboundFlow: .control(.flow(parameters.flowControl, inbound: true))
        case .breakState: .control(settings.breakOn ? .breakOn : .breakOff)
        case .dtr: .control(settings.dtr ? .dtrOn : .dtrOff)
        case .rts: .control(settings.rts ? .rtsOn : .rtsOff)
        }
    }
}
