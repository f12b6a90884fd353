import Foundation

extension SalesStage {
    /// What the salesperson should have done before the stage counts as complete: the checklist the judge scores.
    public func checklist(chinese: Bool) -> [String] {
        switch (self, chinese) {
        case (.trustAndRapport, true):
            return ["礼貌地问候并介绍自己和公司", "表现出对客户本人或其业务的真诚关注", "说明这次沟通的目的并征得客户同意继续"]
        case (.trustAndRapport, false):
            return ["greets the customer and introduces themselves and their company", "shows genuine interest in the customer or their business", "states the purpose of the conversation and gets the customer's agreement to continue"]
        case (.needsDiagnosis, true):
            return ["用开放式问题了解客户的现状和痛点", "确认需求的优先级、预算或决策流程", "复述客户的需求并得到确认"]
        case (.needsDiagnosis, false):
            return ["asks open questions about the customer's situation and pain points", "finds out priorities, budget or how the decision is made", "summarises the customer's needs and has them confirmed"]
        case (.valuePresentation, true):
            return ["把产品或方案与客户说出的需求一一对应", "用具体的事实、数据或案例说明价值", "确认客户理解并认可这些价值"]
        case (.valuePresentation, false):
            return ["ties the product or solution to the needs the customer stated", "backs the value with concrete facts, figures or cases", "checks that the customer understands and accepts the value"]
        case (.objectionHandling, true):
            return ["认真倾听并确认客户的顾虑", "用事实或方案回应顾虑，而不是回避或施压", "确认顾虑已经被化解"]
        case (.objectionHandling, false):
            return ["listens to and acknowledges the customer's concern", "answers the concern with facts or options rather than dodging or pressure", "checks that the concern is resolved"]
        case (.closing, true):
            return ["提出一个具体的下一步（试用、报价、会议或签约）", "确认时间、人员等细节", "得到客户对下一步的明确同意"]
        case (.closing, false):
            return ["proposes a concrete next step (a trial, a quote, a meeting or an order)", "settles details such as dates and people", "gets the customer's clear agreement to that next step"]
        }
    }

    /// The stage's name in Chinese, as the page and reports show it.
    public var chineseName: String {
        switch self {
        case .trustAndRapport: return "建立信任"
        case .needsDiagnosis: return "需求诊断"
        case .valuePresentation: return "价值呈现"
        case .objectionHandling: return "异议处理"
        case .closing: return "促成成交"
        }
    }

    /// The stage after this one; nil after closing.
    public var next: SalesStage? { SalesStage(rawValue: rawValue + 1) }
}
