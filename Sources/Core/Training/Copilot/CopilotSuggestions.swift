import Foundation

/// One suggested next line for the salesperson, with why, what to watch, and the retrieved materials it rests on.
public struct CopilotSuggestion: Sendable, Codable, Equatable {
    public var line: String
    public var rationale: String
    public var cautions: String
    /// 1-based positions in the materials the model was shown.
    public var sources: [Int]

    public init(line: String, rationale: String, cautions: String, sources: [Int]) {
        self.line = line
        self.rationale = rationale
        self.cautions = cautions
        self.sources = sources
    }
}

/// The model's answer: exactly three suggestions.
struct CopilotSuggestionList: Sendable, Codable {
    var suggestions: [CopilotSuggestion]

    static let schema: JSONValue = .object([
        "type": .string("object"),
        "properties": .object([
            "suggestions": .object([
                "type": .string("array"), "minItems": .number(3), "maxItems": .number(3),
                "items": .object([
                    "type": .string("object"),
                    "properties": .object([
                        "line": .object(["type": .string("string")]),
                        "rationale": .object(["type": .string("string")]),
                        "cautions": .object(["type": .string("string")]),
                        "sources": .object(["type": .string("array"), "items": .object(["type": .string("integer")])]),
                    ]),
                    "required": .array([.string("line"), .string("rationale"), .string("cautions"), .string("sources")]),
                ]),
            ])
        ]),
        "required": .array([.string("suggestions")]),
    ])

    /// Three suggestions with a line each; sources outside the `materials` shown are dropped.
    func validated(materials: Int) throws -> CopilotSuggestionList {
        let cleaned = suggestions.map { suggestion in
            CopilotSuggestion(
                line: suggestion.line.trimmingCharacters(in: .whitespacesAndNewlines),
                rationale: suggestion.rationale.trimmingCharacters(in: .whitespacesAndNewlines),
                cautions: suggestion.cautions.trimmingCharacters(in: .whitespacesAndNewlines),
                sources: Array(Set(suggestion.sources.filter { (1...max(1, materials)).contains($0) && materials > 0 })).sorted())
        }
        guard cleaned.count == 3 else { throw StructuredOutputProblem("give exactly three suggestions") }
        guard cleaned.allSatisfy({ !$0.line.isEmpty }) else { throw StructuredOutputProblem("every suggestion needs a line to say") }
        return CopilotSuggestionList(suggestions: cleaned)
    }
}

/// Suggests the salesperson's next lines during a training session.
public protocol TrainingCopilot: Sendable {
    /// The frame with three suggestions for `stage` after `conversation` (trainee turns as user, customer turns as
    /// assistant), or one saying they are unavailable.
    func suggestionsFrame(stage: SalesStage, conversation: [ChatMessage]) async -> ConversationFrame
}

extension SalesCopilot: TrainingCopilot {
    /// Materials shown to the model per suggestion call.
    static let suggestionMaterials = 4

    public func suggestionsFrame(stage: SalesStage, conversation: [ChatMessage]) async -> ConversationFrame {
        let customerLast = conversation.last { $0.role == .assistant }?.content ?? ""
        let chinese = TrainingTranscript.isChinese(message: customerLast, conversation: conversation)
        var fields: [String: JSONValue] = ["stage": .number(Double(stage.rawValue))]
        let hits: [CopilotHit]
        do {
            hits = try await query(customerLast + " " + (chinese ? stage.chineseName : stage.name), limit: Self.suggestionMaterials)
        } catch {
            fields["available"] = .bool(false)
            fields["detail"] = .string("the sales materials could not be searched")
            return ConversationFrame(type: "copilot_suggestions", fields: fields)
        }
        let transcript = TrainingTranscript.render(conversation.suffix(6), chinese: chinese)
        let materials = hits.enumerated().map { "[\($0.offset + 1)] \($0.element.fileName) · \($0.element.location)\n\($0.element.unit.text.prefix(600))" }
            .joined(separator: "\n\n")
        let checklist = stage.checklist(chinese: chinese).joined(separator: chinese ? "；" : "; ")
        let prompt = chinese
            ? "你是销售教练，帮销售想下一句话。当前阶段：\(stage.chineseName)（要点：\(checklist)）。\n最近的对话：\n\(transcript.isEmpty ? "（无）" : transcript)\n\n可用的销售资料：\n\(materials.isEmpty ? "（无）" : materials)\n\n给出三条销售接下来可以说的具体话术，尽量依据上面的资料。只回答 JSON：{\"suggestions\": [{\"line\": 话术, \"rationale\": 理由, \"cautions\": 注意事项, \"sources\": [所依据资料的编号]}]}，正好三条。"
            : "You are a sales coach helping a salesperson choose what to say next. Current stage: \(stage.name) (it asks for: \(checklist)).\nThe recent conversation:\n\(transcript.isEmpty ? "(none)" : transcript)\n\nSales materials:\n\(materials.isEmpty ? "(none)" : materials)\n\nGive three concrete lines the salesperson could say next, based on the materials where they help. Answer with JSON only: {\"suggestions\": [{\"line\": the line, \"rationale\": why, \"cautions\": what to watch, \"sources\": [numbers of the materials used]}]}, exactly three."
        let count = hits.count
        do {
            let list = try await client.structured(StructuredRequest<CopilotSuggestionList>(
                model: client.models.chat, messages: [.user(prompt)], schema: CopilotSuggestionList.schema, temperature: 0.3, seed: 11,
                maxTokens: 700, attempts: 2, validate: { try $0.validated(materials: count) }))
            fields["available"] = .bool(true)
            fields["grounded"] = .bool(!hits.isEmpty)
            fields["suggestions"] = .array(list.suggestions.map { suggestion in
                .object([
                    "line": .string(suggestion.line), "rationale": .string(suggestion.rationale), "cautions": .string(suggestion.cautions),
                    "sources": .array(suggestion.sources.map { position in
                        let hit = hits[position - 1]
                        return .object([
                            "material_id": .number(Double(hit.materialID)), "file_name": .string(hit.fileName),
                            "location": .string(hit.location), "text": .string(String(hit.unit.text.prefix(300))),
                        ])
                    }),
                ])
            })
        } catch {
            fields["available"] = .bool(false)
            fields["detail"] = .string("the suggestions are unavailable for this turn")
        }
        return ConversationFrame(type: "copilot_suggestions", fields: fields)
    }
}
