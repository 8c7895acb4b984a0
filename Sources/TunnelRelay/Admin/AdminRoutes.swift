import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import SharedWire
import TunnelTransport

/// The admin API's routes and what each may do for whom.
struct AdminRoutes: Sendable {
    let store: any RelayStore
    let relay: RelayServer
    let metrics: RelayMetrics
    let publicAddress: String
    let limiter: NIOLockedValueBox<SourceLimiter>
    /// The web console's pages under `/console` (docs/CONSOLE.md).
    var console: ConsoleRoutes? = nil

    /// One route: method, path (`:name` for a parameter), whether it needs an API key, handler.
    struct Endpoint: Sendable {
        let method: HTTPRequest.Method
        let path: String
        let authenticated: Bool
        let handle: @Sendable (Request, AdminRequestContext) async throws -> Response
    }

    /// Every route the API serves; docs/openapi.json describes exactly these (a test checks).
    var endpoints: [Endpoint] {
        func route<T: ResponseGenerator>(
            _ method: HTTPRequest.Method, _ path: String, authenticated: Bool = true,
            _ handler: @escaping @Sendable (Request, AdminRequestContext) async throws -> T
        ) -> Endpoint {
            Endpoint(method: method, path: path, authenticated: authenticated) { request, context in
                try await handler(request, context).response(from: request, context: context)
            }
        }
        return [
            route(.get, "/healthz", authenticated: false) { _, _ in AdminResource.Health(status: "ok", checks: nil) },
            route(.get, "/readyz", authenticated: false) { request, context in try await readiness(request, context) },
            route(.post, "/v1/register", authenticated: false) { request, context in try await register(request, context) },
            route(.get, "/metrics", authenticated: false) { _, _ in
                let nodes = try? await store.nodes()
                let text = metrics.exposition(
                    agents: relay.agents.count, sessions: relay.broker.activeCount, nodes: nodes, ownNode: relay.configuration.nodeName)
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: text)))
            },
            route(.get, "/v1/me") { _, context in AdminResource.User(try context.caller()) },
            route(.get, "/v1/devices") { _, context in try await devices(for: try context.caller()) },
            route(.get, "/v1/devices/:id") { _, context in AdminResource.Device(try await visibleDevice(context)) },
            route(.get, "/v1/devices/:id/telemetry") { _, context in try await latestTelemetry(context) },
            route(.get, "/v1/devices/:id/telemetry/stream") { _, context in try await telemetryStream(context) },
            route(.post, "/v1/devices/:id/revoke") { _, context in try await revoke(context) },
            route(.post, "/v1/devices/:id/reset") { _, context in try await reset(context) },
            route(.post, "/v1/devices/:id/move") { request, context in try await move(request, context) },
            route(.post, "/v1/devices/:id/certificate/renew") { request, context in try await renewCertificate(request, context) },
            route(.post, "/v1/devices/:id/diagnostics") { request, context in try await requestDiagnostics(request, context) },
            route(.get, "/v1/devices/:id/diagnostics") { _, context in try await diagnostics(context) },
            route(.get, "/v1/devices/:id/diagnostics/:bundle") { _, context in try await diagnosticArchive(context) },
            route(.post, "/v1/sessions") { request, context in try await openSession(request, context) },
            route(.get, "/v1/sessions") { request, context in try await sessions(request, context) },
            route(.get, "/v1/sessions/:id") { _, context in AdminResource.Session(try await visibleSession(context)) },
            route(.delete, "/v1/sessions/:id") { _, context in try await endSession(context) },
            route(.get, "/v1/sessions/:id/capture") { _, context in try await capture(context) },
            route(.get, "/v1/audit") { request, context in try await audit(request, context) },
            route(.get, "/v1/nodes") { _, context in try await nodes(context) },
        ]
    }

    func router() -> Router<AdminRequestContext> {
        let router = Router(context: AdminRequestContext.self)
        router.add(middleware: AdminErrorMiddleware(metrics: metrics))
        let open = endpoints.filter { !$0.authenticated }
        let keyed = endpoints.filter(\.authenticated)
        for endpoint in open { router.on(RouterPath(endpoint.path), method: endpoint.method, use: endpoint.handle) }
        // The console signs in with its own cookie, not an API key.
        console?.add(to: router)
        router.add(middleware: AdminAuthenticator(store: store, limiter: limiter, metrics: metrics))
        for endpoint in keyed { router.on(RouterPath(endpoint.path), method: endpoint.method, use: endpoint.handle) }
        return router
    }

    // MARK: Health

    private func readiness(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        var checks: [String: String] = [:]
        var ready = true
        do {
            _ = try await metrics.timed { try await store.schemaVersion() }
            checks["store"] = "ok"
        } catch {
            checks["store"] = "unreachable: \(error)"
            ready = false
        }
        if (try? await relay.boundAddress) != nil {
            checks["tunnel"] = "listening"
        } else {
            checks["tunnel"] = "not listening"
            ready = false
        }
        let health = AdminResource.Health(status: ready ? "ready" : "not ready", checks: checks)
        var response = try health.response(from: request, context: context)
        response.status = ready ? .ok : .serviceUnavailable
        return response
    }

    // MARK: Devices

    /// A gateway registers itself with a provisioning secret and its certificate signing request.
    private func register(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        if let lockout = limiter.withLockedValue({ $0.lockout(of: context.source, now: .now()) }) {
            throw AdminError(.tooManyRequests, "tooManyFailures", lockout)
        }
        let body = try await AdminRequestBody.decode(
            AdminResource.RegistrationRequest.self, keys: AdminResource.RegistrationRequest.keys, from: request, context: context)
        let registrar = DeviceRegistrar(credentials: RelayCredentials(dataDirectory: relay.configuration.dataDirectory), store: store)
        do {
            let registered = try await registrar.register(
                deviceID: body.deviceId, secret: body.secret, csrPEM: body.csr, source: context.source)
            var response = try AdminResource.Registration(
                deviceId: body.deviceId, customer: registered.customer, certificate: registered.certificate, relayCA: registered.relayCA
            ).response(from: request, context: context)
            response.status = .created
            return response
        } catch let refusal as DeviceRegistrar.Refusal {
            switch refusal.kind {
            case .unauthorized:
                limiter.withLockedValue { $0.authenticationFailed(from: context.source, now: .now()) }
                metrics.adminAuthFailures.increment()
                throw AdminError(.unauthorized, "unauthenticated", refusal.description)
            case .invalid: throw AdminError(.badRequest, "invalidField", refusal.description)
            case .conflict: throw AdminError(.conflict, "conflict", refusal.description)
            }
        } catch let error as StoreError {
            throw AdminError(.badRequest, "invalidField", "\(error)")
        }
    }

    private func devices(for user: UserRecord) async throws -> [AdminResource.Device] {
        try await metrics.timed { try await store.devices(visibleTo: user) }.map(AdminResource.Device.init)
    }

    /// The device of the route's `:id`, if the caller may see it (404 otherwise, whether or not it exists).
    func visibleDevice(_ context: AdminRequestContext) async throws -> DeviceRecord {
        let user = try context.caller()
        let id = try context.parameters.require("id")
        guard let device = try await metrics.timed({ try await store.device(id: id) }), user.maySee(device) else {
            throw AdminError(.notFound, "notFound", "no device \(id)")
        }
        return device
    }

    /// The device's latest value of each key, with the time it was read. Written as text: each
    /// value is the JSON the agent sent, kept as it came (a number, a string, a list).
    private func latestTelemetry(_ context: AdminRequestContext) async throws -> Response {
        let device = try await visibleDevice(context)
        let snapshot: LiveTelemetry.Snapshot
        if let elsewhere = try await telemetryElsewhere(device) {
            elsewhere.close()
            snapshot = elsewhere.latest
        } else {
            snapshot = relay.telemetry.snapshot(deviceID: device.id) ?? .init()
        }
        let values = snapshot.values.sorted { $0.key < $1.key }.map { key, value in
            "\(AdminError.quoted(key)):{\"value\":\(value.json),\"ts\":\(value.ts)}"
        }
        let body =
            "{\"deviceId\":\(AdminError.quoted(device.id)),\"updatedAt\":\(snapshot.updatedAt),\"values\":{\(values.joined(separator: ","))}}"
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// The device's telemetry from the node holding its agent, when another node does; what
    /// that node answers, or that it could not be reached, in the API's terms.
    private func telemetryElsewhere(_ device: DeviceRecord) async throws -> NodeTelemetryFeed? {
        do {
            return try await relay.telemetryElsewhere(device)
        } catch let refusal as TunnelTransport.RelayRefusal where refusal.code == .limitReached {
            throw AdminError(.tooManyRequests, "tooManyStreams", refusal.message)
        } catch let error as StoreError {
            throw error
        } catch {
            throw AdminError(
                .conflict, "agentOffline",
                "the relay node holding the agent of \(device.id) (\(device.presence.relayNode ?? "?")) could not be reached: \(error)")
        }
    }

    /// Server-sent events: one `data:` line per record the device reports, until the client goes.
    private func telemetryStream(_ context: AdminRequestContext) async throws -> Response {
        let device = try await visibleDevice(context)
        if let elsewhere = try await telemetryElsewhere(device) {
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: .init(asyncSequence: elsewhere.records.map { ByteBuffer(string: ServerSentEvent.text(data: $0)) }))
        }
        guard let stream = relay.telemetry.stream(deviceID: device.id) else {
            throw AdminError(
                .tooManyRequests, "tooManyStreams", "device \(device.id) has \(LiveTelemetry.maxStreamsPerDevice) live streams open already"
            )
        }
        let events = stream.map { ByteBuffer(string: ServerSentEvent.text(data: $0)) }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: .init(asyncSequence: events))
    }

    private func revoke(_ context: AdminRequestContext) async throws -> AdminResource.Device {
        let admin = try context.administrator()
        let device = try await visibleDevice(context)
        try await store.revokeDevice(id: device.id, at: Date(), by: "api:\(admin.id)")
        // Cut the live connection now rather than at the next revocation check.
        relay.disconnect(deviceID: device.id, reason: "the device was revoked by \(admin.id)")
        return AdminResource.Device(try await store.device(id: device.id) ?? device)
    }

    private func reset(_ context: AdminRequestContext) async throws -> AdminResource.Device {
        let admin = try context.administrator()
        let device = try await visibleDevice(context)
        let reset = try await store.resetDevice(id: device.id, at: Date(), by: "api:\(admin.id)")
        relay.disconnect(deviceID: device.id, reason: "the device was reset by \(admin.id)")
        return AdminResource.Device(reset)
    }

    /// Moves a device to another customer: the one explicit way a device changes customer.
    private func move(_ request: Request, _ context: AdminRequestContext) async throws -> AdminResource.Device {
        let admin = try context.administrator()
        let device = try await visibleDevice(context)
        let body = try await AdminRequestBody.decode(
            AdminResource.MoveRequest.self, keys: AdminResource.MoveRequest.keys, from: request, context: context)
        do {
            return AdminResource.Device(
                try await store.moveDevice(id: device.id, toCustomer: body.customer, at: Date(), by: "api:\(admin.id)"))
        } catch StoreError.customerNotFound(let customer) {
            throw AdminError(.badRequest, "invalidField", "customer: no customer \(customer)")
        } catch StoreError.invalid(let message) {
            throw AdminError(.badRequest, "invalidField", "customer: \(message)")
        }
    }

    /// Asks the device's agent to renew its certificate: directly when this node holds its
    /// control connection, through the audit log (which every node follows) when another live
    /// node does.
    private func renewCertificate(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let admin = try context.administrator()
        let device = try await visibleDevice(context)
        let reason = "requested by \(admin.id)"
        if !relay.requestCertificateRenewal(deviceID: device.id, reason: reason) {
            guard device.presence.online, let node = device.presence.relayNode, node != relay.configuration.nodeName else {
                throw AdminError(.conflict, "agentOffline", "the agent of device \(device.id) is not connected to any relay node")
            }
            try await metrics.timed {
                try await store.appendAudit(
                    AuditEntry(at: Date(), event: .renewalRequested, actor: admin.id, deviceID: device.id, reason: reason))
            }
        }
        var response = try AdminResource.Device(device).response(from: request, context: context)
        response.status = .accepted
        return response
    }

    // MARK: Sessions

    private func openSession(_ request: Request, _ context: AdminRequestContext) async throws -> Response {
        let user = try context.caller()
        let body = try await AdminRequestBody.decode(
            AdminResource.SessionRequest.self, keys: AdminResource.SessionRequest.keys, from: request, context: context)
        guard let mode = TunnelMessage.SessionMode(name: body.mode ?? "control") else {
            throw AdminError(.badRequest, "invalidField", "mode: expected \"control\" or \"monitor\", found \"\(body.mode ?? "")\"")
        }
        let broker = relay.broker
        do {
            let issued = try await metrics.timed {
                try await SessionIssuer.issue(
                    .init(
                        deviceID: body.deviceId, mode: mode, ttl: body.ttl ?? 300, userID: user.id, takeOver: body.takeOver ?? false,
                        publicAddress: publicAddress),
                    account: user, store: store, controlHolder: { broker.controlHolder(deviceID: $0) })
            }
            let opened = AdminResource.OpenedSession(
                id: issued.record.id, deviceId: issued.record.deviceID, mode: "\(mode)", token: "\(issued.token)",
                expiresAt: issued.record.expiresAt, url: issued.url)
            var response = try opened.response(from: request, context: context)
            response.status = .created
            return response
        } catch let refusal as SessionIssuer.Refusal {
            switch refusal.kind {
            case .notFound: throw AdminError(.notFound, "notFound", refusal.description)
            case .conflict: throw AdminError(.conflict, "conflict", refusal.description)
            case .forbidden: throw AdminError(.forbidden, "forbidden", refusal.description)
            case .invalid: throw AdminError(.badRequest, "invalidField", refusal.description)
            }
        }
    }

    /// A page of the sessions the caller may see: the newest `limit`, or those before the
    /// session `before` (the first ID of the page the caller has), oldest first.
    private func sessions(_ request: Request, _ context: AdminRequestContext) async throws -> [AdminResource.Session] {
        let user = try context.caller()
        let parameters = request.uri.queryParameters
        let before = parameters.get("before")
        if let before, try await store.session(id: before) == nil {
            throw AdminError(.badRequest, "invalidField", "before: no session \(before)")
        }
        let query = SessionQuery(
            deviceID: parameters.get("deviceId"), visibleTo: user.role == .admin ? nil : user.id, beforeID: before,
            limit: try AdminPaging.limit(parameters.get("limit"), default: 100, maximum: 1_000))
        return try await metrics.timed { try await store.sessions(query) }.map(AdminResource.Session.init)
    }

    func visibleSession(_ context: AdminRequestContext) async throws -> SessionRecord {
        let user = try context.caller()
        let id = try context.parameters.require("id")
        guard let session = try await store.session(id: id), let device = try await store.device(id: session.deviceID), user.maySee(device)
        else {
            throw AdminError(.notFound, "notFound", "no session \(id)")
        }
        return session
    }

    /// Ends a session: its creator, or an administrator.
    private func endSession(_ context: AdminRequestContext) async throws -> AdminResource.Session {
        let user = try context.caller()
        let session = try await visibleSession(context)
        guard user.role == .admin || session.createdBy == user.id else {
            throw AdminError(.forbidden, "forbidden", "only the session's creator (\(session.createdBy)) or an administrator may end it")
        }
        let reason = "ended by \(user.id) through the admin API"
        let broker = relay.broker
        _ = try await SessionEnder.end(
            session, reason: reason, actor: "api:\(user.id)", store: store,
            closeHere: { broker.closeSession(id: $0, code: .sessionEnded, message: reason) })
        return AdminResource.Session(try await store.session(id: session.id) ?? session)
    }

    // MARK: Audit

    private func audit(_ request: Request, _ context: AdminRequestContext) async throws -> [AdminResource.AuditRecord] {
        _ = try context.administrator()
        let parameters = request.uri.queryParameters
        func date(_ name: String) throws -> Date? {
            guard let text = parameters.get(name) else { return nil }
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw AdminError(
                    .badRequest, "invalidField", "\(name): expected an ISO 8601 time such as 2026-11-26T12:00:00Z, found \"\(text)\"")
            }
            return date
        }
        let query = AuditQuery(
            deviceID: parameters.get("deviceId"), userID: parameters.get("userId"), since: try date("since"), until: try date("until"),
            afterID: try AdminPaging.entryID(parameters.get("after"), name: "after"),
            beforeID: try AdminPaging.entryID(parameters.get("before"), name: "before"),
            limit: try AdminPaging.limit(parameters.get("limit"), default: 1_000, maximum: 10_000))
        return try await metrics.timed { try await store.auditEntries(query) }.map(AdminResource.AuditRecord.init)
    }

    // MARK: Nodes

    /// The relay nodes sharing the store, live or not yet forgotten, each with its lease.
    private func nodes(_ context: AdminRequestContext) async throws -> [AdminResource.Node] {
        _ = try context.administrator()
        let ownName = relay.configuration.nodeName
        return try await metrics.timed { try await store.nodes() }.map { AdminResource.Node($0, answering: ownName) }
    }
}
