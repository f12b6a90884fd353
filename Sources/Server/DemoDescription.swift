import VividCrowdCore

/// `GET /api/demo`: whether this server is the offline demo, the banner the page shows, and the messages it can answer.
enum DemoDescription {
    static let banner = "Offline demo: every reply is a recording of a small local model (SmolLM2), replayed without "
        + "network or key — it shows how VividCrowd works, not how well a large model answers. To go live, set "
        + "DASHSCOPE_API_KEY in .env and restart."

    static func json(_ manifest: DemoManifest?) -> JSONValue {
        guard let manifest else { return ["demo": false] }
        var questions: [String: JSONValue] = [:]
        for mode in DemoManifest.Mode.allCases {
            questions[mode.rawValue] = .array((manifest.questions[mode] ?? []).map(JSONValue.string))
        }
        return ["demo": true, "banner": .string(banner), "questions": .object(questions)]
    }
}
