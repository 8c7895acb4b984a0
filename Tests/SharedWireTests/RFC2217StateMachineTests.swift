import NIOCore
import SharedWire
import XCTest

/// The RFC 2217 server rules, driven directly: negotiation, requests to tunnel operations,
/// answers in order with the value in effect.
final class RFC2217StateMachineTests: XCTestCase {
    typealias Machine = ComPortServerStateMachine

    /// A machine past negotiation, with the first modem-state poll answered (a PTY: 0).
    private func serving() -> Machine {
        var machine = Machine()
        _ = machine.start()
        XCTAssertEqual(machine.receive(.negotiation(.will, .comPort)), [.sendControl(.queryState)])
        XCTAssertEqual(
            machine.tunnelAnswered(.init(operation: .queryState, value: 0, status: .applied)),
            [.sendAnswer(.modemState(0))])
        return machine
    }

    private func request(_ command: ComPortCommand, _ value: [UInt8]) -> TelnetEvent {
        .comPort(command: command.rawValue, value: ByteBuffer(bytes: value))
    }

    func testStartOffersBinarySuppressGoAheadAndComPortBothWays() {
        var machine = Machine()
        XCTAssertEqual(
            machine.start(),
            [
                .sendNegotiation(.will, .binary), .sendNegotiation(.do, .binary),
                .sendNegotiation(.will, .suppressGoAhead), .sendNegotiation(.do, .suppressGoAhead),
                .sendNegotiation(.will, .comPort), .sendNegotiation(.do, .comPort),
            ])
        XCTAssertEqual(machine.start(), [], "once per connection")
    }

    func testNegotiationAnswersOnceAndRefusesUnknownOptions() {
        var machine = Machine()
        _ = machine.start()
        XCTAssertEqual(machine.receive(.negotiation(.do, .binary)), [], "the answer to our WILL needs no reply")
        XCTAssertEqual(machine.receive(.negotiation(.do, .binary)), [], "no reply loops")
        XCTAssertEqual(
            machine.receive(.negotiation(.do, .echo)),
            [
                .sendNegotiation(.wont, .echo), .log(.optionRefused(.do, .echo)),
            ])
        XCTAssertEqual(
            machine.receive(.negotiation(.will, TelnetOption(rawValue: 24))).first, .sendNegotiation(.dont, TelnetOption(rawValue: 24)))
        XCTAssertEqual(
            machine.receive(.negotiation(.wont, .binary)), [.log(.optionRefused(.wont, .binary))], "refused while asked: no reply")
        XCTAssertEqual(machine.receive(.negotiation(.will, .binary)), [.sendNegotiation(.do, .binary)], "offered later: agreed")
        XCTAssertEqual(
            machine.receive(.negotiation(.wont, .binary)),
            [
                .sendNegotiation(.dont, .binary), .log(.optionRefused(.wont, .binary)),
            ])
        XCTAssertFalse(machine.isServing)
        XCTAssertEqual(machine.receive(.negotiation(.do, .comPort)), [.sendControl(.queryState)], "a first modem state is fetched")
        XCTAssertTrue(machine.isServing)
        XCTAssertEqual(machine.receive(.negotiation(.will, .comPort)), [])
    }

    /// pyserial's options start as "requested"; when our offers arrive before it sends them, it
    /// takes our `WILL`/`DO COM-PORT-OPTION` for answers and never sends its own. Byte for byte
    /// what it then sends (captured): `DO BINARY`, `WILL BINARY`, `DO ECHO`, then its four
    /// settings. Its first command must start the service, with the first modem state ahead of
    /// the answers, or `port.cts` fails with "remote sends no NOTIFY_MODEMSTATE".
    func testAClientThatTookOurOffersForAnswersIsServedFromItsFirstCommand() {
        var machine = Machine()
        _ = machine.start()
        XCTAssertEqual(machine.receive(.negotiation(.do, .binary)), [])
        XCTAssertEqual(machine.receive(.negotiation(.will, .binary)), [])
        XCTAssertEqual(machine.receive(.negotiation(.do, .echo)), [.sendNegotiation(.wont, .echo), .log(.optionRefused(.do, .echo))])
        XCTAssertFalse(machine.isServing)

        XCTAssertEqual(
            machine.receive(request(.setBaudRate, [0, 0, 0x25, 0x80])),
            [
                .sendControl(.queryState), .sendControl(.setBaudRate(9_600)),
            ], "the first modem state is fetched ahead of the setting")
        XCTAssertTrue(machine.isServing)
        XCTAssertEqual(machine.receive(request(.setDataSize, [8])), [.sendControl(.setDataBits(8))], "once")
        XCTAssertEqual(
            machine.tunnelAnswered(.init(operation: .queryState, value: 0, status: .applied)),
            [
                .sendAnswer(.modemState(0))
            ])
        XCTAssertEqual(
            machine.tunnelAnswered(.init(operation: .setBaudRate, value: 9_600, status: .applied)),
            [
                .sendAnswer(.baudRate(9_600))
            ])
        XCTAssertEqual(machine.receive(.negotiation(.will, .comPort)), [], "a late offer needs no reply and fetches nothing")
        XCTAssertEqual(machine.receive(.negotiation(.do, .comPort)), [])
    }

    func testSettingsGoThroughTheTunnelAndAreAnsweredInOrderWithTheValueInEffect() {
        var machine = serving()
        XCTAssertEqual(machine.receive(request(.setBaudRate, [0, 0, 0x4B, 0x00])), [.sendControl(.setBaudRate(19_200))])
        XCTAssertEqual(machine.receive(request(.setParity, [3])), [.sendControl(.setParity(.even))])
        XCTAssertEqual(machine.receive(request(.setStopSize, [2])), [.sendControl(.setStopBits(.two))])
        XCTAssertEqual(machine.receive(request(.setDataSize, [7])), [.sendControl(.setDataBits(7))])
        XCTAssertEqual(machine.receive(request(.setBaudRate, [0, 0, 0, 0])), [], "an ask waits behind the change")
        XCTAssertEqual(machine.awaitedResults, 4)

        XCTAssertEqual(
            machine.tunnelAnswered(.init(operation: .setBaudRate, value: 19_200, status: .applied)),
            [
                .sendAnswer(.baudRate(19_200))
            ])
        let parity = SerialControlResult(operation: .setParity, value: 1, status: .unsupported)
        XCTAssertEqual(machine.tunnelAnswered(parity), [.log(.notApplied(parity)), .sendAnswer(.parity(.none))])
        XCTAssertEqual(
            machine.tunnelAnswered(.init(operation: .setStopBits, value: 2, status: .applied)),
            [
                .sendAnswer(.stopSize(.two))
            ])
        let dataBits = SerialControlResult(operation: .setDataBits, value: 8, status: .unsupported)
        XCTAssertEqual(
            machine.tunnelAnswered(dataBits),
            [
                .log(.notApplied(dataBits)), .sendAnswer(.dataSize(8)), .sendAnswer(.baudRate(19_200)),
            ], "the ask is answered right after, with the new speed")
        XCTAssertEqual(machine.settings.parameters, SerialParameters(baudRate: 19_200, stopBits: .two))
        XCTAssertEqual(machine.receive(request(.setStopSize, [0])), [.sendAnswer(.stopSize(.two))], "nothing waits: at once")
    }

    func testARateThePortRefusesIsAnsweredWithTheRateInEffect() {
        var machine = serving()
        XCTAssertEqual(machine.receive(request(.setBaudRate, [0, 0, 0x30, 0x39])), [.sendControl(.setBaudRate(12_345))])
        let failed = SerialControlResult(operation: .setBaudRate, value: 57_600, status: .failed)
        XCTAssertEqual(machine.tunnelAnswered(failed), [.log(.notApplied(failed)), .sendAnswer(.baudRate(57_600))])
        XCTAssertEqual(machine.receive(request(.setBaudRate, [0, 0, 0x4B, 0x00])), [.sendControl(.setBaudRate(19_200))])
        let unreadable = SerialControlResult(operation: .setBaudRate, value: 0, status: .failed)
        XCTAssertEqual(machine.tunnelAnswered(unreadable).last, .sendAnswer(.baudRate(57_600)), "0 is no speed: the last known stays")
    }

    func testVirtualLinesAreAnsweredWithTheStateAskedForAndLoggedOnce() {
        var machine = serving()
        XCTAssertEqual(machine.receive(request(.setControl, [ComPortControl.dtrOff.rawValue])), [.sendControl(.setDTR(false))])
        XCTAssertEqual(machine.receive(request(.setControl, [ComPortControl.rtsOn.rawValue])), [.sendControl(.setRTS(true))])
        XCTAssertEqual(machine.receive(request(.setControl, [ComPortControl.breakOn.rawValue])), [.sendControl(.setBreak(true))])
        XCTAssertEqual(
            machine.tunnelAnswered(.init(operation: .setDTR, value: 0, status: .unsupported)),
            [
                .log(.virtualLine(.setDTR)), .sendAnswer(.control(.dtrOff)),
            ])
        XCTAssertEqual(machine.tunnelAnswered(.init(operation: .setRTS, value: 1, status: .unsupported)), [.sendAnswer(.control(.rtsOn))])
        XCTAssertEqual(
            machine.tunnelAnswered(.init(operation: .setBreak, value: 1, status: .unsupported)), [.sendAnswer(.control(.breakOn))])
        XCTAssertEqual(machine.receive(request(.setControl, [ComPortControl.askDTR.rawValue])), [.sendAnswer(.control(.dtrOff))])
        XCTAssertEqual(machine.receive(request(.setControl, [ComPortControl.askBreak.rawValue])), [.sendAnswer(.control(.breakOn))])
    }

    func testFlowControlBothDirectionsAndTheKindsAPortCannotDo() {
        var machine = serving()
        XCTAssertEqual(
            machine.receive(request(.setControl, [ComPortControl.inboundFlowHardware.rawValue])),
            [
                .sendControl(.setFlowControl(.hardware))
            ])
        XCTAssertEqual(
            machine.tunnelAnswered(.init(operation: .setFlowControl, value: 3, status: .applied)),
            [
                .sendAnswer(.control(.inboundFlowHardware))
            ])
        XCTAssertEqual(
            machine.receive(request(.setControl, [ComPortControl.askOutboundFlow.rawValue])),
            [
                .sendAnswer(.control(.outboundFlowHardware))
            ])
        let dcd = machine.receive(request(.setControl, [ComPortControl.outboundFlowDCD.rawValue]))
        XCTAssertEqual(dcd.last, .sendAnswer(.control(.outboundFlowHardware)), "answered with what is in effect")
        XCTAssertEqual(
            machine.receive(request(.setControl, [99])),
            [
                .log(.ignoredRequest(.setControl(99), reason: "unknown SET-CONTROL value"))
            ])
    }

    func testModemStateIsPolledThroughTheTunnelWithDeltasAndMask() {
        var machine = serving()
        XCTAssertEqual(machine.receive(request(.notifyModemState, [])), [.sendControl(.queryState)])
        XCTAssertEqual(
            machine.tunnelAnswered(.init(operation: .queryState, value: 0x30, status: .applied)),
            [
                .sendAnswer(.modemState(0x33))
            ], "CTS and DSR came up: their delta bits are set")
        XCTAssertEqual(machine.receive(request(.setModemStateMask, [0x20])), [.sendAnswer(.modemStateMask(0x20))])
        _ = machine.receive(request(.notifyModemState, []))
        XCTAssertEqual(
            machine.tunnelAnswered(.init(operation: .queryState, value: 0x30, status: .applied)),
            [
                .sendAnswer(.modemState(0x20))
            ])
    }

    func testLocalRequestsAndPurge() {
        var machine = serving()
        XCTAssertEqual(machine.receive(request(.signature, [])), [.sendAnswer(.signature(Machine.defaultSignature))])
        XCTAssertEqual(machine.receive(request(.signature, Array("pyserial".utf8))), [.log(.clientSignature("pyserial"))])
        XCTAssertEqual(machine.receive(request(.setLineStateMask, [0x10])), [.sendAnswer(.lineStateMask(0x10))])
        XCTAssertEqual(machine.receive(request(.flowControlSuspend, [])), [.suspendOutput])
        XCTAssertEqual(machine.receive(request(.flowControlResume, [])), [.resumeOutput])
        XCTAssertEqual(machine.receive(request(.purgeData, [3])), [.sendControl(.purge(.both))])
        XCTAssertEqual(machine.tunnelAnswered(.init(operation: .purge, value: 3, status: .applied)), [.sendAnswer(.purgeData(3))])
        XCTAssertEqual(machine.receive(.data(ByteBuffer(string: "CV1"))), [.forwardData(ByteBuffer(string: "CV1"))])
    }

    func testInvalidAndUnknownInputIsLoggedNeverFatal() {
        var machine = serving()
        XCTAssertEqual(
            machine.receive(request(.setDataSize, [9])),
            [
                .log(.ignoredRequest(.setDataSize(9), reason: "value not supported; answered with the value in effect")),
                .sendAnswer(.dataSize(8)),
            ])
        XCTAssertEqual(machine.receive(request(.purgeData, [4])).count, 1)
        guard case .log(.malformedRequest(let error))? = machine.receive(.comPort(command: 50, value: ByteBuffer())).first else {
            return XCTFail("an unknown command is logged")
        }
        XCTAssertEqual(error.command, 50)
        XCTAssertEqual(machine.receive(.command(Telnet.brk)), [.log(.ignoredCommand(Telnet.brk))])
        XCTAssertEqual(machine.receive(.command(Telnet.nop)), [])
        let stray = SerialControlResult(operation: .setDTR, value: 1, status: .applied)
        XCTAssertEqual(machine.tunnelAnswered(stray), [.log(.unexpectedResult(stray))])
    }

    func testAMismatchedResultStillAnswersTheWaitingRequest() {
        var machine = serving()
        _ = machine.receive(request(.setBaudRate, [0, 0, 0x25, 0x80]))
        let wrong = SerialControlResult(operation: .setRTS, value: 1, status: .applied)
        XCTAssertEqual(machine.tunnelAnswered(wrong), [.log(.unexpectedResult(wrong)), .sendAnswer(.baudRate(57_600))])
        XCTAssertEqual(machine.awaitedResults, 0)
    }

    func testWaitingAnswersAreCapped() {
        var machine = serving()
        for _ in 0..<Machine.maxPendingAnswers {
            XCTAssertEqual(machine.receive(request(.purgeData, [1])), [.sendControl(.purge(.receive))])
        }
        XCTAssertEqual(machine.receive(request(.purgeData, [1])), [.log(.tooManyWaiting)])
        XCTAssertEqual(machine.receive(request(.setParity, [0])), [.log(.tooManyWaiting)])
        XCTAssertEqual(machine.awaitedResults, Machine.maxPendingAnswers)
    }

    func testReportedStateReachesTheClientThroughItsMasks() {
        var machine = serving()
        XCTAssertEqual(machine.tunnelReported(SerialState(lineState: 0x60, modemState: 0)), [], "masks: no line state by default")
        _ = machine.receive(request(.setLineStateMask, [0x10]))
        XCTAssertEqual(
            machine.tunnelReported(SerialState(lineState: 0x10, modemState: 0x80)),
            [
                .sendAnswer(.modemState(0x88)), .sendAnswer(.lineState(0x10)),
            ])
        XCTAssertEqual(machine.tunnelReported(SerialState(lineState: 0, modemState: 0x80)), [], "nothing changed")
    }
}
