import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import VividCrowdCore

/// Assembles the HTTP and WebSocket routes and the application around them.
enum Routes {
    /// Plain HTTP: health, the REST API, the OpenAPI document and the web pages.
    static func build(_ services: ServerServices, connections: ConnectionCount = ConnectionCount()) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        // First, so requests the protection refuses are counted too.
        router.add(middleware: RequestMetricsMiddleware(metrics: services.metrics))
        router.add(middleware: ProtectionMiddleware(protection: services.protection))
        router.add(middleware: MethodNotAllowedMiddleware())
        router.get("/health") { _, _ -> Response in
            let health: JSONValue = [
                "status": "ok",
                "llm_mode": .string(services.settings.llm.mode.rawValue),
                "schema_version": .number(Double(try await services.store.schemaVersion())),
            ]
            return .json(health)
        }
        CustomerServiceRoutes.add(to: router, services: services)
        TwinRoutes.add(to: router, services: services)
        CustomerRoutes.add(to: router, services: services)
        TrainingRoutes.add(to: router, services: services)
        SalesKnowledgeRoutes.add(to: router, services: services)
        SpeechRoutes.add(to: router, services: services)
        VideoRoutes.add(to: router, services: services)
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: services.metrics.exposition(openConnections: connections.open))))
        }
        router.get("/api/demo") { _, _ -> Response in .json(DemoDescription.json(services.settings.demo)) }
        router.get("/api/chat/agents") { _, _ -> Response in
            try .json(encoding: services.groupChat.personas.map(AgentSummary.init))
        }
        router.get("/openapi.json") { _, _ -> Response in .json(OpenAPIDocument.document) }
        // Socket paths reached without an upgrade (the upgrade itself is the socket router's).
        for path in ["/api/customer-service/ws", "/api/chat/ws", "/api/celebrity/ws", "/api/digital-customer/ws", "/api/digital-customer/training/ws/{session_id}"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                var response = Response.error(.upgradeRequired, "this path is a WebSocket: connect with an upgrade request")
                response.headers[.upgrade] = "websocket"
                return response
            }
        }
        WebAssets.add(to: router)
        return router
    }

    /// The routes that upgrade to WebSocket.
    static func webSockets(_ services: ServerServices) -> Router<AppWebSocketContext> {
        let router = Router(context: AppWebSocketContext.self)
        router.add(middleware: ProtectionMiddleware(protection: services.protection))
        let demo = services.settings.demo
        func socket(_ mode: DemoManifest.Mode) -> SocketEnvironment {
            SocketEnvironment(
                protection: services.protection, metrics: services.metrics, notRecorded: demo?.notRecordedMessage(for: mode))
        }
        CustomerServiceSocket.add(to: router, desk: services.customerService, socket: socket(.customerService))
        GroupChatSocket.add(to: router, chat: services.groupChat, socket: socket(.groupChat))
        let typing = services.settings.groupChat
        TwinSocket.add(
            to: router, library: services.twins, socket: socket(.twins),
            typingDelay: typing.minTypingDelay...typing.maxTypingDelay, clock: services.clock)
        CustomerSocket.add(
            to: router, library: services.customers, conversations: services.store.conversations, socket: socket(.training))
        TrainingSocket.add(to: router, desk: services.training, speech: services.speech, socket: socket(.training))
        return router
    }

    /// The whole application on `host:port`.
    static func application(
        _ services: ServerServices, host: String, port: Int, connections: ConnectionCount = ConnectionCount(), logger: Logger
    ) -> some ApplicationProtocol {
        let protection = services.settings.protection
        let limits = ConnectionLimits(
            headerReadTimeout: .seconds(Int64(protection.headerReadTimeout)), maxHeaderBytes: protection.maxHeaderBytes,
            maxConnections: FileDescriptorLimit.connections(fitting: protection.maxConnections, logger: logger))
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuardHandler(headerReadTimeout: limits.headerReadTimeout)],
            idleTimeout: .seconds(Int64(protection.idleTimeout)),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes, maxHeaderFieldCount: 200))
        return Application(
            router: build(services, connections: connections),
            server: .guardedSocketUpgrade(
                socketRouter: webSockets(services),
                configuration: .init(
                    http1: http1, maximumMessageBytes: ConversationSocket.maximumFrameBytes,
                    // Sockets answer pings and are closed when a ping goes unanswered for a period.
                    pingPeriod: .seconds(30)),
                limits: limits, count: connections),
            configuration: .init(address: .hostname(host, port: port), serverName: "vividcrowd"),
            onServerRunning: { channel in
                logger.notice("VividCrowd listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
            },
            logger: logger)
    }
}

/// A persona as `GET /api/chat/agents` lists it (prompts and guardrail rules stay on the server).
struct AgentSummary: Encodable {
    var id: String
    var name: String
    var occupation: String?
    var age: Int?
    var gender: String?
    var personalityTraits: [String]
    var interests: [String]
    var expertise: [String]
    var speechStyle: String?
    var talkativeness: Double

    init(_ persona: Persona) {
        id = persona.id
        name = persona.name
        occupation = persona.occupation
        age = persona.age
        gender = persona.gender
        personalityTraits = persona.personalityTraits
        interests = persona.interests
        expertise = persona.expertise
        speechStyle = persona.speechStyle
        talkativeness = persona.talkativeness
    }

    enum CodingKeys: String, CodingKey {
        case id, name, occupation, age, gender, interests, expertise, talkativeness
        case personalityTraits = "personality_traits"
        case speechStyle = "speech_style"
    }
}
