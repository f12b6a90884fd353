import Foundation

/// The shared parts of a cloud talking-head task: polling it on an injected clock, and fetching the finished file.
enum VideoTask {
    /// Asks `check` every `interval` on `clock` until it returns a result; `VideoError.timedOut` after `timeout`.
    static func poll<Result: Sendable>(
        provider: String, every interval: Duration, timeout: Duration, clock: any Clock<Duration>,
        _ check: () async throws -> Result?
    ) async throws -> Result {
        let elapsed = startStopwatch(on: clock)
        while elapsed() < timeout {
            try await clock.sleep(for: interval)
            if let result = try await check() { return result }
        }
        throw VideoError.timedOut(provider: provider, seconds: timeout.seconds)
    }

    /// The video a finished task links to, fetched without credentials through `client` (so cassettes keep it).
    static func download(
        _ link: String, client: LLMClient, model: String, provider: String, taskID: String
    ) async throws -> TalkingHeadVideo {
        let file: JSONValue
        do {
            file = try await client.call(.download, model: model, body: .object(["url": .string(link)]))
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as LLMError {
            throw VideoError.failed(provider: provider, reason: error.code)
        }
        guard let (data, contentType) = BinaryBody.bytes(of: file), !data.isEmpty else {
            throw VideoError.failed(provider: provider, reason: "the video file is empty")
        }
        return TalkingHeadVideo(data: data, contentType: contentType.hasPrefix("video/") ? contentType : "video/mp4", taskID: taskID)
    }

    /// The vendor fetches both inputs itself: they must be absolute http(s) URLs.
    static func checkFetchable(_ link: String, what: String) throws {
        guard link.count <= 2048, let url = URL(string: link), url.scheme == "https" || url.scheme == "http", url.host != nil
        else { throw VideoError.badInput("\(what) must be an http(s) URL the video service can fetch") }
    }
}
