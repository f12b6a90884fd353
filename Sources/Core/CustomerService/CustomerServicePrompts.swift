import Foundation

/// The fixed texts and LLM prompts of the customer-service mode, in Chinese or English after the user's message.
public enum CustomerServicePrompts {
    /// The reply when nothing in the knowledge base relates to the question; no LLM is involved.
    public static func noMatch(chinese: Bool) -> String {
        chinese
            ? "抱歉，我暂时没有找到与您的问题相关的内容。您可以换一种说法，或描述得更具体一些；如需人工帮助，请回复“转人工”。"
            : "Sorry, I could not find anything about that in our knowledge base. Could you rephrase it or add some detail? "
                + "If you would like a person to help, reply \"human\"."
    }

    /// The reply that tells the user a person will take over.
    public static func handoff(_ reason: HandoffReason, chinese: Bool) -> String {
        switch (reason, chinese) {
        case (.explicitRequest, true): return "好的，正在为您转接人工客服，请稍候。客服人员接入后会继续为您服务。"
        case (.dissatisfaction, true): return "非常抱歉给您带来不好的体验。已为您转接人工客服，专人会尽快跟进处理您的问题，请稍候。"
        case (.explicitRequest, false): return "Sure — I am transferring you to a member of our team. Please hold on; they will continue from here."
        case (.dissatisfaction, false):
            return "I am sorry about your experience. I have passed your conversation to a member of our team, who will follow up shortly."
        }
    }

    /// The high-band reply: the standard script verbatim, then its risk notes.
    public static func verbatim(_ entry: KnowledgeEntry, chinese: Bool) -> String {
        let notes = entry.riskNotes.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !notes.isEmpty else { return entry.standardScript }
        return entry.standardScript + (chinese ? "\n\n⚠️ 注意事项：" : "\n\n⚠️ Please note: ") + notes
    }

    /// Messages asking the LLM to make the script conversational without changing a fact.
    public static func rewrite(question: String, entry: KnowledgeEntry, chinese: Bool) -> [ChatMessage] {
        if chinese {
            return [
                .system("""
                    你是专业、亲切的客服。把“标准话术”改写成口语化的回复来回答用户的问题。\
                    必须保留话术中的每一个事实、数字和注意事项，不得添加话术中没有的信息，不得改变含义。只输出回复本身。
                    """),
                .user("用户问题：\(question)\n\n标准话术：\n\(entry.standardScript)\n\n注意事项：\(entry.riskNotes)"),
            ]
        }
        return [
            .system("""
                You are a friendly, professional customer-service agent. Rewrite the standard script below as a \
                conversational answer to the user's question. Keep every fact, number and caution in it; add nothing \
                that is not in the script; do not change its meaning. Reply with the answer only.
                """),
            .user("User question: \(question)\n\nStandard script:\n\(entry.standardScript)\n\nRisk notes: \(entry.riskNotes)"),
        ]
    }

    /// Messages asking the LLM to help the user rephrase, offering the closest topics.
    public static func rephrase(question: String, topics: [String], chinese: Bool) -> [ChatMessage] {
        let list = topics.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n")
        if chinese {
            return [
                .system("""
                    你是客服。用户的问题没有把握对应到知识库中的内容。请用一两句话礼貌地请用户换个说法或补充细节，\
                    并列出下面可能相关的主题供用户选择。不要回答问题本身，不要编造任何信息。
                    """),
                .user("用户问题：\(question)\n\n可能相关的主题：\n\(list)"),
            ]
        }
        return [
            .system("""
                You are a customer-service agent. The user's question does not clearly match our knowledge base. In one \
                or two sentences, politely ask them to rephrase or add detail, and list the possibly related topics \
                below for them to choose from. Do not answer the question itself and do not make anything up.
                """),
            .user("User question: \(question)\n\nPossibly related topics:\n\(list)"),
        ]
    }
}
