import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

extension ServerSuites {
    @Suite("Talking-head video route", .serialized)
    struct VideoRouteTests {
        static let path = "/api/celebrity/digital-human/generate-video"
        static let statusPath = "/api/celebrity/digital-human/video"
        static let uploadPath = "/api/celebrity/digital-human/upload-image"

        @Test("offline: an uploaded portrait and a text spoken here become a served MP4 made by ffmpeg, no link leaves the server")
        func offline() async throws {
            let portrait = try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/video/portrait.png"))
            try await withTestServer { client, _ in
                let status = try await requestJSON(client, Self.statusPath)
                #expect(status.json["provider"]?.stringValue == "offline" && status.json["ready"]?.boolValue == true, "\(status.json)")

                // As a form field and as the raw body; the kind comes from the bytes, not the name or header.
                let boundary = "portrait-boundary"
                var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.gif\"\r\nContent-Type: image/gif\r\n\r\n".utf8)
                form += portrait + Data("\r\n--\(boundary)--\r\n".utf8)
                let uploaded = try await client.execute(
                    uri: Self.uploadPath, method: .post, headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
                    body: ByteBuffer(data: form))
                let answer = try JSONValue.parse(String(buffer: uploaded.body))
                try #require(uploaded.status == .ok, "\(answer)")
                let image = try #require(answer["image_url"]?.stringValue)
                #expect(image.hasSuffix(".png") && answer["content_type"]?.stringValue == "image/png")
                let served = try await client.execute(uri: image, method: .get)
                #expect(served.status == .ok && Data(buffer: served.body) == portrait)
                #expect(served.headers[.contentType] == "image/png" && served.headers[.init("X-Content-Type-Options")!] == "nosniff")
                let raw = try await client.execute(uri: Self.uploadPath, method: .post, body: ByteBuffer(data: portrait))
                #expect(raw.status == .ok)

                let made = try await requestJSON(
                    client, Self.path, method: .post, body: #"{"image_url": "\#(image)", "text": "Knowledge is power."}"#)
                try #require(made.status == .ok, "\(made.json)")
                #expect(made.json["provider"]?.stringValue == "offline")
                let video = try await client.execute(uri: try #require(made.json["video_url"]?.stringValue), method: .get)
                #expect(video.status == .ok && video.headers[.contentType] == "video/mp4")
                let summary = try MP4Summary.read(Data(buffer: video.body))
                #expect(summary.tracks.map(\.handler).sorted() == ["soun", "vide"] && summary.durationSeconds > 0.5, "\(summary)")

                // A portrait elsewhere is never fetched from here; a file that is not held, or not a portrait, is refused.
                for (body, hint) in [
                    (#"{"image_url": "http://127.0.0.1:9/p.png", "text": "hi"}"#, "upload-image"),
                    (#"{"image_url": "/api/media/00000000000000000000000000000000.png", "text": "hi"}"#, "no file"),
                    (#"{"image_url": "\#(image)", "audio_url": "https://example.com/a.wav"}"#, "upload-image"),
                ] {
                    let refused = try await requestJSON(client, Self.path, method: .post, body: body)
                    #expect(refused.status == .unprocessableContent && refused.json["detail"]?.stringValue?.contains(hint) == true, "\(refused.json)")
                }
                let notPicture = try await client.execute(uri: Self.uploadPath, method: .post, body: ByteBuffer(string: "<svg onload=alert(1)>"))
                #expect(notPicture.status == .unprocessableContent)
                let empty = try await client.execute(uri: Self.uploadPath, method: .post, body: ByteBuffer())
                #expect(empty.status == .unprocessableContent)
                let huge = try await client.execute(
                    uri: Self.uploadPath, method: .post, body: ByteBuffer(repeating: 0xFF, count: VideoRoutes.maximumImageBytes + 1))
                #expect(huge.status == .contentTooLarge)
            }
            // A stored upload is a protected write: with ADMIN_TOKEN set, only the token's holder may keep a portrait.
            try await withTestServer(extra: ["ADMIN_TOKEN": "video-admin-token"]) { client, _ in
                let anonymous = try await client.execute(uri: Self.uploadPath, method: .post, body: ByteBuffer(data: portrait))
                #expect(anonymous.status == .unauthorized)
                let admitted = try await client.execute(
                    uri: Self.uploadPath, method: .post, headers: [.authorization: "Bearer video-admin-token"], body: ByteBuffer(data: portrait))
                #expect(admitted.status == .ok)
            }
            try await withTestServer(extra: ["FFMPEG_PATH": "/nonexistent/ffmpeg"]) { client, _ in
                let status = try await requestJSON(client, Self.statusPath)
                #expect(status.json["ready"]?.boolValue == false && status.json["detail"]?.stringValue?.contains("FFMPEG_PATH") == true)
                let refused = try await requestJSON(
                    client, Self.path, method: .post, body: #"{"image_url": "/api/media/00000000000000000000000000000000.png", "text": "hi"}"#)
                #expect(refused.status == .serviceUnavailable && refused.json["detail"]?.stringValue?.contains("FFMPEG_PATH") == true)
            }
            try await withTestServer(extra: ["LLM_MODE": "live", "VIDEO_PROVIDER": "dashscope"]) { client, _ in
                let status = try await requestJSON(client, Self.statusPath)
                #expect(status.json["provider"]?.stringValue == "dashscope" && status.json["ready"]?.boolValue == false)
                #expect(status.json["fetches_inputs"]?.boolValue == true && status.json["detail"]?.stringValue?.contains("DASHSCOPE_API_KEY") == true)
                let refused = try await requestJSON(client, Self.path, method: .post, body: Self.ask)
                #expect(refused.status == .serviceUnavailable && refused.json["detail"]?.stringValue?.contains("DASHSCOPE_API_KEY") == true)
            }
            try await withTestServer(extra: ["VIDEO_PROVIDER": "off"]) { client, _ in
                let status = try await requestJSON(client, Self.statusPath)
                #expect(status.json["provider"] == .null && status.json["ready"]?.boolValue == false)
                let refused = try await requestJSON(
                    client, Self.path, method: .post, body: #"{"image_url": "/api/media/00000000000000000000000000000000.png", "text": "hi"}"#)
                #expect(refused.status == .serviceUnavailable && refused.json["detail"]?.stringValue?.contains("VIDEO_PROVIDER") == true)
            }
        }
        static let ask = #"{"image_url": "https://example.com/portrait.png", "audio_url": "https://example.com/line.wav"}"#

        @Test("a replayed task gives a stored, served MP4; bad requests are 422; without keys live it is 503 naming both keys")
        func route() async throws {
            let cassettes = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: cassettes) }
            let video = Data("....ftypisom a talking head".utf8)
            let model = "realman_avatar_picture_omni_v2"
            func interaction(_ endpoint: LLMEndpoint, _ occurrence: Int, _ request: JSONValue, _ response: JSONValue) -> CassetteInteraction {
                CassetteInteraction(
                    endpoint: endpoint, model: model, occurrence: occurrence, request: CassetteTransport.normalise(request, for: endpoint),
                    response: response, latencyMs: 1, chunks: nil)
            }
            let task: JSONValue = .object(["req_key": .string(model), "task_id": .string("42")])
            try CassetteFile(interactions: [
                interaction(
                    .volcengineSubmit, 0,
                    .object(["req_key": .string(model), "image_url": .string("https://example.com/portrait.png"), "audio_url": .string("https://example.com/line.wav")]),
                    .object(["code": .number(10000), "data": .object(["task_id": .string("42")])])),
                interaction(.volcengineResult, 0, task, .object(["code": .number(10000), "data": .object(["status": .string("generating")])])),
                interaction(
                    .volcengineResult, 1, task,
                    .object(["code": .number(10000), "data": .object(["status": .string("done"), "video_url": .string("https://tos.example/v.mp4")])])),
                interaction(.download, 0, .object(["url": .string("https://tos.example/v.mp4")]), BinaryBody.reply(video, contentType: "video/mp4")),
            ]).write(to: URL(fileURLWithPath: cassettes).appendingPathComponent("video.json"), redactor: Redactor(secrets: []))

            try await withTestServer(extra: ["CASSETTE_DIR": cassettes, "CASSETTE_NAME": "video", "VIDEO_PROVIDER": "volcengine"]) { client, _ in
                let made = try await requestJSON(client, Self.path, method: .post, body: Self.ask)
                try #require(made.status == .ok, "\(made.json)")
                #expect(made.json["task_id"]?.stringValue == "42" && made.json["provider"]?.stringValue == "volcengine")
                let url = try #require(made.json["video_url"]?.stringValue)
                #expect(url.hasPrefix("/api/media/") && url.hasSuffix(".mp4"))
                let served = try await client.execute(uri: url, method: .get)
                #expect(served.status == .ok && served.headers[.contentType] == "video/mp4" && Data(buffer: served.body) == video)

                for bad in ["{", "[]", #"{"image_url": "https://example.com/p.png"}"#, #"{"image_url": 1, "audio_url": 2}"#,
                            #"{"image_url": "https://example.com/p.png", "audio_url": "file:///etc/passwd"}"#,
                            #"{"image_url": "https://example.com/p.png", "audio_url": "https://example.com/a.wav", "prompt": "x"}"#] {
                    let refused = try await requestJSON(client, Self.path, method: .post, body: bad)
                    #expect(refused.status == .unprocessableContent, "\(bad): \(refused.json)")
                }
                // Not in the recording: the vendor's failure, without the cassette's path.
                let missed = try await requestJSON(
                    client, Self.path, method: .post,
                    body: #"{"image_url": "https://example.com/other.png", "audio_url": "https://example.com/line.wav"}"#)
                #expect(missed.status == .badGateway && missed.json["detail"]?.stringValue?.contains(cassettes) == false, "\(missed.json)")
            }
            try await withTestServer(extra: ["LLM_MODE": "live", "VIDEO_PROVIDER": "volcengine"]) { client, _ in
                let refused = try await requestJSON(client, Self.path, method: .post, body: Self.ask)
                let detail = refused.json["detail"]?.stringValue ?? ""
                #expect(refused.status == .serviceUnavailable && detail.contains("VOLCENGINE_ACCESS_KEY") && detail.contains("VOLCENGINE_SECRET_KEY"), "\(refused.json)")
                let status = try await requestJSON(client, Self.statusPath)
                #expect(status.json["provider"]?.stringValue == "volcengine" && status.json["ready"]?.boolValue == false)
                #expect(status.json["detail"]?.stringValue?.contains("VOLCENGINE_SECRET_KEY") == true, "\(status.json)")
            }
        }

        @Test("with PUBLIC_BASE_URL, a text is spoken here and the video service gets a public link to the speech; without it, 422")
        func spokenText() async throws {
            let generator = CapturingGenerator()
            try await withTestServer(extra: ["PUBLIC_BASE_URL": "https://vc.example.com/"], customize: { $0.video = generator }) { client, _ in
                let made = try await requestJSON(
                    client, Self.path, method: .post,
                    body: #"{"image_url": "https://example.com/portrait.png", "text": "What is the price of the product?"}"#)
                try #require(made.status == .ok, "\(made.json)")
                let asked = try #require(await generator.asked.first)
                #expect(asked.image == "https://example.com/portrait.png")
                #expect(asked.audio.hasPrefix("https://vc.example.com/api/media/") && asked.audio.hasSuffix(".wav"), "\(asked.audio)")
                let spoken = try await client.execute(uri: String(asked.audio.dropFirst("https://vc.example.com".count)), method: .get)
                #expect(spoken.status == .ok)
                #expect(try WAVCodec.decode(Data(buffer: spoken.body)).duration > 0.5)
                let both = try await requestJSON(
                    client, Self.path, method: .post,
                    body: #"{"image_url": "https://example.com/p.png", "audio_url": "https://example.com/a.wav", "text": "hi"}"#)
                #expect(both.status == .unprocessableContent)
            }
            try await withTestServer(customize: { $0.video = generator }) { client, _ in
                let refused = try await requestJSON(
                    client, Self.path, method: .post, body: #"{"image_url": "https://example.com/p.png", "text": "hi"}"#)
                #expect(refused.status == .unprocessableContent && refused.json["detail"]?.stringValue?.contains("PUBLIC_BASE_URL") == true)
            }
            #expect(await generator.asked.count == 1)
        }
    }
}

/// A video generator that keeps what it was asked and answers with a few bytes.
private actor CapturingGenerator: TalkingHeadGenerator {
    nonisolated let name = "capturing"
    nonisolated let fetchesInputs = true
    private(set) var asked: [(image: String, audio: String)] = []

    func generate(imageURL: String, audioURL: String) async throws -> TalkingHeadVideo {
        asked.append((imageURL, audioURL))
        return TalkingHeadVideo(data: Data("mp4".utf8), contentType: "video/mp4", taskID: "t\(asked.count)")
    }
}
