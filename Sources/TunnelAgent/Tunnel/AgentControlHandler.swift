import NIOCore
import SharedWire
import TunnelTransport

/// The agent's end of its control connection: starts and stops sessions as the relay says.
final class AgentControlHandler: ChannelInboundHandler {
    typealias InboundIn = TunnelMessage
    typealias OutboundOut = TunnelMessage

    private let sessions: AgentSessions
    /// Where certificate answers and renewal requests go; nil when the agent does not renew.
    private let renewal: (@Sendable (CertificateRenewal.Event) -> Void)?
    /// Makes diagnostic bundles the relay asks for; nil when the agent does not.
    private let diagnostics: RemoteDiagnostics?
    /// Why the relay closed the connection, when it said.
    private(set) var goingAway: TunnelMessage.GoingAway?

    init(
        sessions: AgentSessions, renewal: (@Sendable (CertificateRenewal.Event) -> Void)? = nil,
        diagnostics: RemoteDiagnostics? = nil
    ) {
        self.sessions = sessions
        self.renewal = renewal
        self.diagnostics = diagnostics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .openSession(let request):
            sessions.open(request, control: context.channel)
        case .closeSession(let close):
            sessions.close(sessionID: close.sessionID, reason: close.message)
        case .certificate(let answer):
            renewal?(.answer(answer))
        case .renewRequested(let reason):
            renewal?(.requested(reason))
        case .diagnoseRequested(let requestID):
            if let diagnostics {
                diagnostics.requested(requestID, on: context.channel)
            } else {
                context.writeAndFlush(
                    wrapOutboundOut(.diagnosticEnd(.failed(requestID, "this agent makes no diagnostic bundles"))), promise: nil)
            }
        case .goingAway(let reason):
            goingAway = reason
            context.close(promise: nil)
        case let other:
            context.closeWithGoingAway(.unexpectedFrame, "\(other.frameType) is not expected on the control connection")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let (code, message) = error.tunnelClosing
        context.closeWithGoingAway(code, message)
    }
}
