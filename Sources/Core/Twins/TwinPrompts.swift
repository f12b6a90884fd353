import Foundation

/// How a twin speaks: alone with the user (100–200 words) or taking a turn in a group (under 50 words).
public enum TwinReplyMode: String, Sendable, Codable {
    case `private`, group

    /// The length the prompt asks for, in the reply's language (the same bounds `TwinReplyLength` measures against).
    func lengthRule(chinese: Bool) -> String {
        let range = lengthRange(chinese: chinese)
        switch (self, chinese) {
        case (.private, true): return "用 \(range.lowerBound) 到 \(range.upperBound) 个汉字回答"
        case (.private, false): return "Answer in \(range.lowerBound) to \(range.upperBound) words"
        case (.group, true): return "这是群聊，你的发言不超过 \(range.upperBound) 个汉字"
        case (.group, false): return "This is a group chat: say it in under \(range.upperBound + 1) words"
        }
    }

    /// A token cap a little above the length asked for, so a runaway reply is cut rather than paid for.
    var maxTokens: Int { self == .private ? 600 : 200 }
}

/// The prompts of a twin: the persona from its profile, the numbered passages an answer must cite, and the fixed
/// in-character refusal used when the document holds no evidence (fixed, so a refusal can invent nothing).
public enum TwinPrompts {
    /// The persona prompt generated from a profile; stored with the twin and editable.
    public static func systemPrompt(profile: TwinProfile, type: TwinSourceType, chinese: Bool) -> String {
        var lines: [String] = []
        func add(_ label: (String, String), _ value: String?) {
            guard let value, !value.isEmpty else { return }
            lines.append("\(chinese ? label.0 : label.1): \(value)")
        }
        func list(_ values: [String]?) -> String? { values.flatMap { $0.isEmpty ? nil : $0.joined(separator: chinese ? "；" : "; ") } }
        let years = [profile.birthYear, profile.deathYear].map { $0.map(String.init) ?? "?" }.joined(separator: "–")
        switch type {
        case .person:
            lines.append(chinese ? "你是\(profile.name)。以第一人称、用\(profile.name)的口吻说话。" : "You are \(profile.name). Speak in the first person, as \(profile.name).")
            if profile.birthYear != nil || profile.deathYear != nil { add(("生卒", "Lived"), years) }
            add(("国籍", "Nationality"), profile.nationality)
            add(("身份", "Occupation"), profile.occupation)
            add(("性格", "Personality"), profile.personality)
            add(("说话风格", "Speech style"), profile.speechStyle)
            add(("名言", "Famous quotes"), list(profile.famousQuotes))
        case .book:
            lines.append(chinese
                ? "你是《\(profile.name)》这部作品的化身\(profile.author.map { "（作者：\($0)）" } ?? "")，以作品的口吻和读者交谈。"
                : "You are the book \"\(profile.name)\"\(profile.author.map { " by \($0)" } ?? ""), talking with a reader in the book's own voice.")
            add(("核心思想", "Core ideas"), list(profile.coreIdeas))
            add(("名句", "Famous quotes"), list(profile.famousQuotes))
            add(("文风", "Writing style"), profile.writingStyle)
        case .topic:
            lines.append(chinese
                ? "你是讲授「\(profile.name)」的老师\(profile.instructor.map { "（\($0)）" } ?? "")，耐心地为学生讲解。"
                : "You teach \"\(profile.name)\"\(profile.instructor.map { " (\($0))" } ?? ""), explaining patiently to a student.")
            add(("核心概念", "Core concepts"), list(profile.coreConcepts))
            add(("知识点", "Knowledge points"), list(profile.knowledgePoints))
        }
        lines.append(chinese
            ? "只根据提供的资料回答，每个事实后用 [编号] 标出出处；资料没有的内容，就说资料里没有，不要编造。"
            : "Answer only from the passages you are given and mark each fact with its passage number in brackets, like [2]; "
                + "if the passages do not say, say so instead of inventing.")
        return lines.joined(separator: "\n")
    }

    /// The messages of one answer: the persona, earlier turns, then the question with the numbered passages.
    public static func answerMessages(
        systemPrompt: String, passages: [DocumentChunk], question: String, history: [ChatMessage], mode: TwinReplyMode,
        chinese: Bool
    ) -> [ChatMessage] {
        let numbered = passages.enumerated().map { number, chunk in
            "[\(number + 1)] (\(chinese ? "第 \(pageLabel(chunk.pages)) 页" : "page \(pageLabel(chunk.pages))")) \(chunk.text)"
        }.joined(separator: "\n\n")
        let instruction = chinese
            ? "资料：\n\(numbered)\n\n问题：\(question)\n\n\(mode.lengthRule(chinese: true))，保持你的身份和口吻，用 [编号] 引用资料。"
            : "Passages:\n\(numbered)\n\nQuestion: \(question)\n\n\(mode.lengthRule(chinese: false)), in character, citing passages as [n]."
        return [.system(systemPrompt)] + history + [.user(instruction)]
    }

    static func pageLabel(_ pages: ClosedRange<Int>) -> String {
        pages.count == 1 ? "\(pages.lowerBound)" : "\(pages.lowerBound)–\(pages.upperBound)"
    }

    /// The in-character answer when the document does not cover a question: no citation, no fact.
    public static func refusal(name: String, type: TwinSourceType, chinese: Bool) -> String {
        switch (type, chinese) {
        case (.person, true): return "这件事，我所留下的记载里并没有说到，我不便妄言。你可以问问我生平里的其他事。"
        case (.person, false): return "The records of my life that I draw on say nothing about that, so I would rather not guess. Ask me about something else in my story."
        case (.book, true): return "《\(name)》里没有写到这一点，我不能替作者杜撰。可以问问书中写到的人和事。"
        case (.book, false): return "\"\(name)\" does not cover that, and I will not put words in its author's mouth. Ask me about what the book does tell."
        case (.topic, true): return "我们的课程资料没有讲到这个问题，我不想凭空回答。可以问问资料里讲到的内容。"
        case (.topic, false): return "Our course material does not cover that question, and I would rather not make an answer up. Ask me about what it does cover."
        }
    }
}
