import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import VividCrowdCore

/// Assembles the HTTP and WebSocket routes and the application around them.
enum Routes {
    /// Plain HTTP: health, the REST API, the OpenAPI document and the web pages.
    static func build(_ services: ServerServices) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/health") { _, _ -> Response in
            let health: JSONValue = [
                "status": "ok",
                "llm_mode": .string(services.settings.llm.mode.rawValue),
                "schema_version": .number(Double(try await services.store.schemaVersion())),
            ]
            return .json(health)
        }
        CustomerServiceRoutes.add(to: router, services: services)
        router.get("/api/chat/agents") { _, _ -> Response in
            try .json(encoding: services.groupChat.personas.map(AgentSummary.init))
        }
        router.get("/openapi.json") { _, _ -> Response in .json(OpenAPIDocument.document) }
        WebAssets.add(to: router)
        return router
    }

    /// The routes that upgrade to WebSocket.
    static func webSockets(_ services: ServerServices) -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        CustomerServiceSocket.add(to: router, desk: services.customerService)
        GroupChatSocket.add(to: router, chat: services.groupChat)
        return router
    }

    /// The whole application on `host:port`.
    static func application(
        _ services: ServerServices, host: String, port: Int, logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: build(services),
            server: .http1WebSocketUpgrade(
                webSocketRouter: webSockets(services),
                configuration: .init(ws: .init(maxFrameSize: ConversationSocket.maximumFrameBytes))),
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
