import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

private let keyID = "LTAIexampleid"
private let keySecret = "example-secret-key"

@Suite("Object storage: generated media copied to an OSS bucket, signed as Alibaba Cloud's SDK signs")
struct ObjectStorageTests {
    /// Computed by Alibaba Cloud's own SDK (PyPI oss2 2.19.1, its clock fixed): Tests/Fixtures/oss/sign_vector.py.
    @Test("an upload's Authorization and a signed link match what the vendor's SDK computes")
    func vendorSignatures() {
        let signer = OSSSigner(accessKeyID: keyID, accessKeySecret: keySecret)
        let date = Date(timeIntervalSince1970: 1_796_292_900)
        #expect(OSSSigner.httpDate(date) == "Thu, 03 Dec 2026 10:15:00 GMT")
        #expect(signer.authorization(
            method: "PUT", bucket: "vividcrowd-media", key: "media/abc.wav", contentType: "audio/wav", date: OSSSigner.httpDate(date))
            == "OSS LTAIexampleid:bTrLHBCIpyeo3kRBJwGyklm8rFQ=")
        let link = signer.signedURL(
            objectURL: URL(string: "https://vividcrowd-media.oss-cn-hangzhou.aliyuncs.com/media/abc.wav")!, bucket: "vividcrowd-media",
            key: "media/abc.wav", expires: date.addingTimeInterval(3600))
        #expect(link.absoluteString == "https://vividcrowd-media.oss-cn-hangzhou.aliyuncs.com/media/abc.wav?OSSAccessKeyId=LTAIexampleid&Expires=1796296500&Signature=xc3dayQJLLXvTRx%2BC4rRKVakdng%3D")
    }

    @Test("a stored file is uploaded signed and linked; the cassette keeps its digest, not the bytes or the keys, and replays; a failed upload keeps nothing")
    func mirror() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let speech = Data((0..<4_000).map { UInt8($0 % 251) })
        try await FakeOpenAIServer.with({ _, _ in .bytes(Data(), contentType: "application/octet-stream") }) { base, log in
            let root = URL(string: base.absoluteString.replacingOccurrences(of: "/v1", with: "/oss-bucket"))!
            var settings = HTTPTransport.Settings(chatBaseURL: base, apiKey: nil, retry: RetryPolicy(maxRetries: 0))
            let signer = OSSSigner(accessKeyID: keyID, accessKeySecret: keySecret)
            settings.ossSigner = signer
            let http = HTTPTransport(settings: settings, logger: .init(label: "test"))
            func store(_ mode: LLMMode, in folder: String) throws -> MediaStore {
                let cassette = try Cassette(
                    directory: directory, name: "oss", startEmpty: mode == .record, redactor: Redactor(secrets: [keyID, keySecret]))
                let client = LLMClient(
                    transport: CassetteTransport(cassette: cassette, mode: mode, live: mode == .replay ? nil : http), models: testModels)
                let mirror = OSSMediaMirror(
                    client: client, bucket: "oss-bucket", endpoint: "unused", signer: signer, objectBaseURL: root,
                    now: { Date(timeIntervalSince1970: 1_796_292_900) })
                return MediaStore(directory: URL(fileURLWithPath: directory).appendingPathComponent(folder), mirror: mirror)
            }
            let media = try store(.record, in: "recorded")
            let id = try await media.store(speech, fileExtension: "wav")
            let put = try #require(await log.requests.first)
            #expect(put.path == "/oss-bucket/media/" + id && put.raw == speech && put.contentType == "audio/wav")
            let date = try #require(put.headers["date"])
            #expect(put.authorization == signer.authorization(method: "PUT", bucket: "oss-bucket", key: "media/" + id, contentType: "audio/wav", date: date))
            let link = try #require(media.fetchableURL(for: id)).absoluteString
            #expect(link.hasPrefix(root.absoluteString + "/media/" + id + "?OSSAccessKeyId=\(keyID)&Expires=1796296500&Signature="))
            #expect(await media.read(id)?.data == speech)

            let file = try String(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("oss.json"), encoding: .utf8)
            #expect(!file.contains(speech.base64EncodedString().prefix(40)) && !file.contains(keySecret) && !file.contains(keyID))
            #expect(file.contains("\"bytes\" : 4000"))

            // Replay knows an upload by its bucket and contents, not by the random name: the same speech replays
            // without the server, other bytes are a miss that keeps nothing.
            let replayed = try store(.replay, in: "replayed")
            let again = try await replayed.store(speech, fileExtension: "wav")
            let replayedCopy = await replayed.read(again)
            #expect(again != id && replayedCopy?.data == speech)
            #expect(await log.requests.count == 1)
            await #expect(throws: MediaStoreError.mirrorFailed) { try await replayed.store(speech + Data([0]), fileExtension: "wav") }
            let left = (try? FileManager.default.contentsOfDirectory(atPath: replayed.directory.path)) ?? []
            #expect(left == [again], "\(left)")
            try await http.shutdown()
        }
    }
}
