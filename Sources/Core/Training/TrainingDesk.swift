import Foundation
import Logging

/// Why a training session could not be started or continued; messages carry no internal detail.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible, ConversationFailure {
    case sessionNotFound(String)
    /// The stage-labelled turns the detector learns from are missing or unreadable.
    case stageTurnsUnavailable(String)

    public var description: String {
        switch self {
        case .sessionNotFound(let id): return "no training session with id \(id)"
        case .stageTurnsUnavailable(let detail): return "the stage detector's training turns cannot be read: \(detail)"
        }
    }

    public var code: String {
        switch self {
        case .sessionNotFound: return "session_not_found"
        case .stageTurnsUnavailable: return "stage_detector_unavailable"
        }
    }

    public var userMessage: String {
        switch self {
        case .sessionNotFound: return description
        case .stageTurnsUnavailable: return "the stage detector is unavailable; the server log has the details"
        }
    }
}

/// Sales training's sessions: started for a customer, continued one trainee message at a time over any connection
/// (the state lives in the store, so another instance or a reconnect carries on), and reported.
public actor TrainingDesk {
    public nonisolated let store: any TrainingStore
    public nonisolated let customers: CustomerLibrary
    let evaluator: any TurnEvaluator
    let judge: (any StageJudge)?
    let outcomeJudge: (any OutcomeJudge)?
    let copilot: (any TrainingCopilot)?
    let settings: VividCrowdConfiguration.Training
    let detectorFiles: [URL]
    let logger: Logger
    let now: @Sendable () -> Date
    /// The detector, trained once on first use (a second or two) so that starting the server stays quick.
    private var detector: Task<StageDetector?, any Error>?
    /// Sessions this instance is running, with the store time of the state they hold: a session whose stored state
    /// is newer (another instance went on with it) is loaded again.
    private var live: [String: (session: TrainingSession, savedAt: Date)] = [:]
    static let liveLimit = 512

    public init(
        store: any TrainingStore, customers: CustomerLibrary, evaluator: any TurnEvaluator, judge: (any StageJudge)?,
        outcomeJudge: (any OutcomeJudge)?, copilot: (any TrainingCopilot)? = nil, settings: VividCrowdConfiguration.Training,
        detectorFiles: [URL],
        logger: Logger = Logger(label: "vividcrowd.training"), now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.customers = customers
        self.evaluator = evaluator
        self.judge = judge
        self.outcomeJudge = outcomeJudge
        self.copilot = copilot
        self.settings = settings
        self.detectorFiles = detectorFiles
        self.logger = logger
        self.now = now
    }

    /// The desk the configuration describes: the evaluation model evaluates, judges stages and outcomes, and the
    /// detector learns from `TRAINING_STAGE_TURNS` (relative paths from `directory`).
    public static func make(
        store: any TrainingStore, customers: CustomerLibrary, copilot: (any TrainingCopilot)?, settings: VividCrowdConfiguration.Training,
        directory: URL,
        logger: Logger = Logger(label: "vividcrowd.training"), now: @escaping @Sendable () -> Date = Date.init
    ) throws -> TrainingDesk {
        let client = customers.client
        return TrainingDesk(
            store: store, customers: customers, evaluator: LLMTurnEvaluator(client: client), judge: LLMStageJudge(client: client),
            outcomeJudge: LLMOutcomeJudge(client: client), copilot: copilot, settings: settings,
            detectorFiles: try stageTurnFiles(settings.stageTurns, directory: directory), logger: logger, now: now)
    }

    /// The turn files `setting` names: `off`, a folder (its `*_turns.jsonl`) or comma-separated files.
    public static func stageTurnFiles(_ setting: String, directory: URL) throws -> [URL] {
        guard setting.lowercased() != "off" else { return [] }
        let urls = setting.split(separator: ",").map { part -> URL in
            let path = part.trimmingCharacters(in: .whitespaces)
            return path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
        }
        var files: [URL] = []
        for url in urls {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
                throw TrainingError.stageTurnsUnavailable("TRAINING_STAGE_TURNS names \(url.path), which does not exist")
            }
            if isFolder.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix("_turns.jsonl") }.sorted()
                guard !names.isEmpty else {
                    throw TrainingError.stageTurnsUnavailable("TRAINING_STAGE_TURNS names \(url.path), which holds no *_turns.jsonl")
                }
                files += names.map { url.appendingPathComponent($0) }
            } else {
                files.append(url)
            }
        }
        return files
    }

    /// Starts a session of `userID` with customer `customerID` (which must exist), played at `difficulty` (the
    /// customer's own when nil).
    public func start(customerID: Int, userID: String, difficulty: CustomerProfile.Difficulty? = nil) async throws -> TrainingSessionRecord {
        _ = try await customers.customer(id: customerID)
        return try await store.createTrainingSession(
            customerID: customerID, userID: userID, state: TrainingState(difficulty: difficulty), at: now())
    }

    /// Sessions newest first, of one user when `userID` is given.
    public nonisolated func sessions(userID: String?) async throws -> [TrainingSessionRecord] {
        try await store.trainingSessions(userID: userID)
    }

    /// The stored session `id`.
    public nonisolated func session(id: String) async throws -> TrainingSessionRecord {
        guard let record = try await store.trainingSession(id: id) else { throw TrainingError.sessionNotFound(id) }
        return record
    }

    /// The session's report: the final one once it is finished, otherwise the report as it stands.
    public nonisolated func report(id: String) async throws -> (record: TrainingSessionRecord, report: TrainingReport, customerName: String?) {
        let record = try await session(id: id)
        let name = try? await customers.customer(id: record.customerID).profile.name
        return (record, record.report ?? TrainingSession.report(state: record.state, customerName: name ?? ""), name)
    }

    /// Handles one trainee message of session `sessionID` (see `TrainingSession.handle`) and stores the state after it.
    public func handle(sessionID: String, message: String, emit: @escaping @Sendable (ConversationEvent) async -> Void) async throws {
        let record = try await session(id: sessionID)
        let training: TrainingSession
        if let running = running(sessionID, as: record) {
            training = running
        } else {
            let customer = try await customers.customer(id: record.customerID)
            let controller = try await controller()
            // Another message may have loaded the session while this one waited: one session actor, one busy guard.
            if let running = running(sessionID, as: record) {
                training = running
            } else {
                training = TrainingSession(
                    id: record.id, customer: customer, client: customers.client, evaluator: evaluator, controller: controller,
                    outcomeJudge: outcomeJudge, copilot: copilot, state: record.state, report: record.report)
                remember(sessionID, training, savedAt: record.updatedAt)
            }
        }
        try await training.handle(message, emit: emit)
        let (state, report) = (await training.state, await training.finalReport)
        let date = now()
        guard try await store.saveTrainingSession(id: sessionID, state: state, report: report, at: date) else {
            throw TrainingError.sessionNotFound(sessionID)
        }
        if state.progress.finished { live[sessionID] = nil } else { remember(sessionID, training, savedAt: date) }
    }

    /// The session this instance runs for `id`, when it holds the state `record` was stored with.
    private func running(_ id: String, as record: TrainingSessionRecord) -> TrainingSession? {
        guard let entry = live[id], abs(entry.savedAt.timeIntervalSince(record.updatedAt)) < 0.001 else { return nil }
        return entry.session
    }

    private func remember(_ id: String, _ session: TrainingSession, savedAt: Date) {
        live[id] = (session, savedAt)
        if live.count > Self.liveLimit, let oldest = live.min(by: { $0.value.savedAt < $1.value.savedAt })?.key { live[oldest] = nil }
    }

    /// The stage controller, with the detector once it is trained.
    func controller() async throws -> StageController {
        if detector == nil {
            let (files, logger) = (detectorFiles, self.logger)
            detector = Task.detached(priority: .userInitiated) { () throws -> StageDetector? in
                guard !files.isEmpty else { return nil }
                let started = ContinuousClock.now
                do {
                    let detector = try StageDetector(trainingFiles: files)
                    logger.info(
                        "stage detector trained",
                        metadata: ["files": "\(files.count)", "seconds": "\((ContinuousClock.now - started).components.seconds)"])
                    return detector
                } catch {
                    logger.error("stage detector training failed", metadata: ["error": "\(error)"])
                    throw TrainingError.stageTurnsUnavailable(String(describing: error))
                }
            }
        }
        return StageController(judge: judge, detector: try await detector!.value, settings: settings)
    }
}

/// A training session's socket conversation: `{"message": "...", "voice": true?}` frames, answered as
/// `TrainingSession.handle` says; with `voice` (and a synthesizer), `customer_response` also carries `audio_url`, the
/// customer's reply spoken.
public struct TrainingConversation: Conversation {
    /// One trainee message and whether the customer's answer should be spoken.
    public struct Input: Sendable, Equatable {
        public var message: String
        public var voice: Bool

        public init(message: String, voice: Bool = false) {
            self.message = message
            self.voice = voice
        }
    }

    public let desk: TrainingDesk
    public let sessionID: String
    /// Speaks replies for messages that ask for voice; nil when the server has no speech.
    public let speech: SpeechDesk?

    public init(desk: TrainingDesk, sessionID: String, speech: SpeechDesk? = nil) {
        self.desk = desk
        self.sessionID = sessionID
        self.speech = speech
    }

    /// `{"message": "..."}`, optionally with `"voice": true|false`.
    public static func input(fromFrame text: String) throws -> Input {
        guard let object = try? JSONValue.parse(text).objectValue else {
            throw FrameRejection(code: "bad_json", userMessage: "expected a JSON object {\"message\": \"...\"}")
        }
        var rest = object
        let voice = rest.removeValue(forKey: "voice")
        guard voice == nil || voice?.boolValue != nil else {
            throw FrameRejection(code: "bad_voice", userMessage: "\"voice\" must be true or false")
        }
        let message = try MessageText.fromMessageFrame(JSONValue.object(rest).canonicalString)
        return Input(message: message, voice: voice?.boolValue ?? false)
    }

    public func handle(_ input: Input, emit: @escaping @Sendable (ConversationEvent) async -> Void) async throws {
        guard input.voice, let speech else {
            try await desk.handle(sessionID: sessionID, message: input.message, emit: emit)
            return
        }
        try await desk.handle(sessionID: sessionID, message: input.message) { event in
            await emit(await Self.speaking(event, with: speech))
        }
    }

    /// `customer_response` with the reply spoken: `audio_url` (a `/api/media/` path), or `audio_error` saying why
    /// there is none; a failed synthesis never fails the turn. Other events pass unchanged.
    static func speaking(_ event: ConversationEvent, with speech: SpeechDesk) async -> ConversationEvent {
        guard case .notice(var frame) = event, frame.type == "customer_response", let text = frame.fields["content"]?.stringValue
        else { return event }
        do {
            let (id, audio) = try await speech.synthesize(text, language: nil, voice: nil)
            frame.fields["audio_url"] = .string(MediaStore.urlPath(for: id))
            frame.fields["audio_seconds"] = .number((audio.durationSeconds * 100).rounded() / 100)
        } catch let failure as any ConversationFailure {
            frame.fields["audio_error"] = .string(failure.userMessage)
        } catch {
            frame.fields["audio_error"] = .string("the reply could not be spoken")
        }
        return .notice(frame)
    }
}
