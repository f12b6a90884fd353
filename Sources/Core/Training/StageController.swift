import Foundation

/// Where a training conversation stands: its stage, the trainee messages spent in it, and the stages behind it.
public struct StageProgress: Sendable, Equatable, Codable {
    public var stage: SalesStage
    public var roundsInStage: Int
    /// Stages the trainee completed.
    public var completed: [SalesStage]
    /// Stages left at the round cap without being completed (the report counts them as unfinished).
    public var incomplete: [SalesStage]
    /// Whether the last stage is behind the conversation and the process is over.
    public var finished: Bool

    public init(
        stage: SalesStage = .trustAndRapport, roundsInStage: Int = 0, completed: [SalesStage] = [], incomplete: [SalesStage] = [],
        finished: Bool = false
    ) {
        self.stage = stage
        self.roundsInStage = roundsInStage
        self.completed = completed
        self.incomplete = incomplete
        self.finished = finished
    }
}

/// What the controller made of one trainee message.
public struct StageAssessment: Sendable, Equatable {
    /// Who decided the stage's completion.
    public enum Source: String, Sendable, Codable {
        /// The LLM judge.
        case judge
        /// The no-LLM detector: confident that the trainee has moved past the stage (the fast path), or standing in
        /// for a judge that failed.
        case detector
        /// Neither could tell (no detector, and the judge failed): nothing is claimed and the stage stays.
        case unavailable
    }

    /// The stage the message was judged in.
    public var stage: SalesStage
    /// 0…1, nil when unavailable.
    public var completion: Double?
    public var source: Source
    public var judgement: StageJudgement?
    /// The detector's reading of the message, when it ran.
    public var detected: StagePrediction?
    /// The stage this message ended (completed, or left at the round cap), and the one that follows (nil after
    /// closing).
    public var completedStage: SalesStage?
    public var nextStage: SalesStage?
    /// Whether the round cap, not the completion, moved the conversation on.
    public var forcedByRoundCap: Bool
    /// The progress after this message.
    public var progress: StageProgress
}

/// Keeps a training conversation in the five-stage process: after every trainee message the judge scores the
/// current stage's checklist, the message included, and the stage advances at `advanceAt` or after `roundCap`
/// messages in it. The no-LLM detector decides alone when it is confident the trainee has already moved past the
/// stage, and stands in for the judge when the judge fails.
public struct StageController: Sendable {
    public var judge: (any StageJudge)?
    public var detector: StageDetector?
    /// Completion at which a stage is done.
    public var advanceAt: Double
    /// Messages after which a stage is left even if incomplete.
    public var roundCap: Int
    /// The detector's probability, summed over the later stages, above which the judge is not asked.
    public var fastPathConfidence: Double

    public init(
        judge: (any StageJudge)?, detector: StageDetector?, advanceAt: Double = 0.8, roundCap: Int = 6, fastPathConfidence: Double = 0.9
    ) {
        self.judge = judge
        self.detector = detector
        self.advanceAt = advanceAt
        self.roundCap = max(1, roundCap)
        self.fastPathConfidence = fastPathConfidence
    }

    /// The controller the configuration describes.
    public init(judge: (any StageJudge)?, detector: StageDetector?, settings: VividCrowdConfiguration.Training) {
        self.init(judge: judge, detector: detector, advanceAt: settings.stageAdvanceAt, roundCap: settings.stageRoundCap)
    }

    /// Assesses `message` (the trainee's), sent after `conversation` (trainee turns as user, customer turns as
    /// assistant), in `progress`.
    public func assess(message: String, conversation: [ChatMessage], progress: StageProgress) async -> StageAssessment {
        var progress = progress
        let stage = progress.stage
        guard !progress.finished else {
            return StageAssessment(
                stage: stage, completion: 1, source: .unavailable, judgement: nil, detected: nil, completedStage: nil, nextStage: nil,
                forcedByRoundCap: false, progress: progress)
        }
        progress.roundsInStage += 1
        let previous = conversation.last { $0.role == .assistant }?.content ?? ""
        let detected = detector?.predict(message, previous: previous)
        // The share of the detector's belief that the message already belongs to a later stage; a message none of
        // whose terms it knows (another language) gets only its priors, which say nothing.
        let beyond = detected.flatMap { $0.knownTerms > 0 ? $0 : nil }.map { prediction in
            SalesStage.allCases.filter { $0 > stage }.reduce(0.0) { $0 + prediction.probabilities[$1.rawValue - 1] }
        }
        var completion: Double?
        var source = StageAssessment.Source.unavailable
        var judgement: StageJudgement?
        if let beyond, beyond >= fastPathConfidence {
            completion = beyond
            source = .detector
        } else if let judge, let verdict = try? await judge.judge(stage: stage, conversation: conversation, message: message) {
            completion = verdict.completion
            judgement = verdict
            source = .judge
        } else if let beyond {
            completion = beyond
            source = .detector
        }
        let complete = (completion ?? 0) >= advanceAt
        let forced = !complete && progress.roundsInStage >= roundCap
        var completedStage: SalesStage?
        if complete || forced {
            completedStage = stage
            if complete { progress.completed.append(stage) } else { progress.incomplete.append(stage) }
            progress.roundsInStage = 0
            if let next = stage.next { progress.stage = next } else { progress.finished = true }
        }
        return StageAssessment(
            stage: stage, completion: completion, source: source, judgement: judgement, detected: detected,
            completedStage: completedStage, nextStage: completedStage.flatMap(\.next), forcedByRoundCap: forced, progress: progress)
    }
}
