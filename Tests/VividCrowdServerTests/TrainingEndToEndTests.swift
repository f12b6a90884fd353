import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

/// What a training socket sends for one message ends with one of these.
private let trainingEnds: Set<String> = ["turn_end", "training_complete", "error"]

/// A salesperson's five lines, one a stage.
private let salesLines = [
    "王总您好，我是云图科技的小王，感谢您抽空，想先听听您这边生产线最近的情况。",
    "您现在设备停机一次大概影响多少产量？预算和时间上有什么考虑？",
    "我们的预测性维护能提前发现故障，像您说的停机，同类工厂平均减少了三成。",
    "您担心数据安全的话，我们支持本地部署，数据不出厂。",
    "那我们下周二来厂里做一次现场演示，您看可以吗？",
]

extension ServerSuites {
    @Suite("Sales training sessions over HTTP and the socket", .serialized)
    struct TrainingEndToEndTests {
        @Test("a session is started, trained through the five stages over the socket, stored, listed and reported")
        func session() async throws {
            // A round cap of one: every message ends its stage, so five messages walk the whole process.
            try await withTestServer(extra: customerEnvironment.merging(["TRAINING_STAGE_ROUND_CAP": "1"]) { _, new in new }) { client, _ in
                #expect(try await requestJSON(client, "/api/digital-customer/training/sessions/start", method: .post,
                                              body: #"{"customer_id": 1, "user_id": "user123"}"#).status == .notFound)
                for bad in ["{", #"{"customer_id": "x"}"#, #"{"customer_id": 1e30}"#, #"{"customer_id": 1, "extra": 1}"#, #"{"customer_id": 1, "user_id": ""}"#] {
                    let refused = try await requestJSON(client, "/api/digital-customer/training/sessions/start", method: .post, body: bad)
                    #expect(refused.status == .unprocessableContent, "\(bad): \(refused.json)")
                }
                let created = try await uploadForm(
                    client, "/api/digital-customer/upload", fields: [("difficulty", "hard")], fileName: "王建国.md",
                    contents: try customerDocument("王建国-制造业-生产总监.md"))
                let customerID = try #require(created.json["id"]?.intValue)

                // The original README's curl body.
                let started = try await requestJSON(client, "/api/digital-customer/training/sessions/start", method: .post,
                                                    body: #"{"customer_id": \#(customerID), "user_id": "user123"}"#)
                try #require(started.status == .created, "\(started.json)")
                #expect(started.json["session_id"]?.stringValue == "1" && started.json["status"]?.stringValue == "active")
                #expect(started.json["stage"]?.intValue == 1 && started.json["ws_url"]?.stringValue == "/api/digital-customer/training/ws/1")

                let unknown = try await socketLog(client, "/api/digital-customer/training/ws/77", [], greeting: true)
                let refusal = await unknown.sessionFrame
                #expect(refusal?["code"]?.stringValue == "session_not_found")

                // Two messages (the first asking for voice), a reconnect, then the rest: the state is the store's, not the
                // connection's.
                let spoken = JSONValue.object(["message": .string(salesLines[0]), "voice": true]).canonicalString
                let first = try await socketLog(
                    client, "/api/digital-customer/training/ws/1", [spoken, messageFrame(salesLines[1])], greeting: true, endingWith: trainingEnds)
                let greeting = await first.sessionFrame
                #expect(greeting?["type"]?.stringValue == "session" && greeting?["turns"]?.intValue == 0)
                let opening = await first.replies
                try #require(opening.count == 2)
                for (index, round) in opening.enumerated() {
                    let types = round.compactMap { $0["type"]?.stringValue }
                    #expect(types.first == "evaluation" && types.contains("stream_start") && types.contains("customer_response"), "\(types)")
                    #expect(types.suffix(3) == ["stage_completed", "copilot_suggestions", "turn_end"], "\(types)")
                    let evaluation = try #require(round.first)
                    if evaluation["available"]?.boolValue == true {
                        #expect((1...5).contains(evaluation["score"]?.intValue ?? 0))
                        #expect(["fair", "good", "excellent"].contains(evaluation["quality"]?.stringValue ?? ""))
                    } else {
                        #expect(evaluation["score"] == nil)
                    }
                    let reply = round.first { $0["type"]?.stringValue == "customer_response" }?["content"]?.stringValue ?? ""
                    #expect(!reply.isEmpty)
                    let completed = round.first { $0["type"]?.stringValue == "stage_completed" }
                    #expect(completed?["stage"]?.intValue == index + 1 && completed?["next_stage"]?.intValue == index + 2)
                }
                // The spoken reply is served as WAV about as long as it says; the unspoken one has no audio.
                let voiced = opening[0].first { $0["type"]?.stringValue == "customer_response" }
                let audioURL = try #require(voiced?["audio_url"]?.stringValue, "\(String(describing: voiced))")
                let audio = try await client.execute(uri: audioURL, method: .get)
                #expect(audio.status == .ok && audio.headers[.contentType] == "audio/wav")
                let clip = try WAVCodec.decode(Data(buffer: audio.body))
                #expect(clip.duration > 0.5 && abs(clip.duration - (voiced?["audio_seconds"]?.doubleValue ?? 0)) < 0.01)
                #expect(opening[1].first { $0["type"]?.stringValue == "customer_response" }?["audio_url"] == nil)

                let rest = try await socketLog(
                    client, "/api/digital-customer/training/ws/1", salesLines.dropFirst(2).map(messageFrame) + [messageFrame("还有问题吗？"), #"{"text": 1}"#],
                    greeting: true, endingWith: trainingEnds)
                let resumed = await rest.sessionFrame
                #expect(resumed?["stage"]?.intValue == 3 && resumed?["turns"]?.intValue == 2)
                let closing = await rest.replies
                try #require(closing.count == 5)
                #expect(closing[1].last?["type"]?.stringValue == "turn_end")
                let complete = try #require(closing[2].last)
                #expect(complete["type"]?.stringValue == "training_complete")
                #expect(complete["stage_points"]?.arrayValue?.count == 5 && (complete["radar_svg"]?.stringValue ?? "").hasPrefix("<svg"))
                #expect(closing[2].contains { $0["type"]?.stringValue == "stage_completed" && $0["next_stage"] == .null })
                #expect(closing[3].last?["code"]?.stringValue == "training_finished")
                #expect(closing[4].last?["code"]?.stringValue == "unknown_field")

                let evaluation = try await requestJSON(client, "/api/digital-customer/training/sessions/1/evaluation")
                #expect(evaluation.status == .ok && evaluation.json["final"]?.boolValue == true && evaluation.json["status"]?.stringValue == "completed")
                #expect(evaluation.json["total"] == complete["total"] && evaluation.json["level"] == complete["level"])
                #expect(evaluation.json["outcome"]?["decided_by"]?.stringValue != nil)
                let radar = try await client.execute(uri: "/api/digital-customer/training/sessions/1/radar.svg", method: .get)
                #expect(radar.status == .ok && radar.headers[.contentType]?.hasPrefix("image/svg+xml") == true)

                let second = try await requestJSON(client, "/api/digital-customer/training/sessions/start", method: .post,
                                                   body: #"{"customer_id": \#(customerID), "user_id": "someone", "difficulty": "easy"}"#)
                #expect(second.json["session_id"]?.stringValue == "2" && second.json["difficulty"]?.stringValue == "easy")
                #expect(try await requestJSON(client, "/api/digital-customer/training/sessions/start", method: .post,
                                              body: #"{"customer_id": \#(customerID), "difficulty": "brutal"}"#).status == .unprocessableContent)
                let interim = try await requestJSON(client, "/api/digital-customer/training/sessions/2/evaluation")
                #expect(interim.json["final"]?.boolValue == false && interim.json["total"]?.doubleValue == 0)
                let all = try await requestJSON(client, "/api/digital-customer/training/sessions")
                #expect(all.json.arrayValue?.compactMap { $0["session_id"]?.stringValue } == ["2", "1"])
                #expect(all.json.arrayValue?.last?["status"]?.stringValue == "completed" && all.json.arrayValue?.last?["turns"]?.intValue == 5)
                let mine = try await requestJSON(client, "/api/digital-customer/training/sessions?user_id=user123")
                #expect(mine.json.arrayValue?.compactMap { $0["session_id"]?.stringValue } == ["1"])
                #expect(try await requestJSON(client, "/api/digital-customer/training/sessions?limit=0").status == .unprocessableContent)
                #expect(try await requestJSON(client, "/api/digital-customer/training/sessions/9/evaluation").status == .notFound)
                #expect(try await requestJSON(client, "/api/digital-customer/training/sessions/x1/evaluation").status == .notFound)
            }
        }

        @Test("sales materials are uploaded once, refused whole when bad, queried with provenance, and ground the copilot")
        func knowledge() async throws {
            try await withTestServer(extra: customerEnvironment) { client, services in
                let upload = "/api/digital-customer/knowledge/upload"
                let sop = try Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/sales/materials/电话邀约SOP&话术.xlsx"))
                let sheet = try await uploadForm(client, upload, fields: [], fileName: "电话邀约SOP&话术.xlsx", contents: sop)
                try #require(sheet.status == .ok, "\(sheet.json)")
                #expect(sheet.json["format"]?.stringValue == "xlsx" && sheet.json["created"]?.boolValue == true)
                #expect(sheet.json["sheets"]?.arrayValue?.compactMap(\.stringValue) == ["普通客户话术", "直接检测客户话术和流程"])
                let again = try await uploadForm(client, upload, fields: [], fileName: "copy.xlsx", contents: sop)
                #expect(again.json["id"] == sheet.json["id"] && again.json["created"]?.boolValue == false)
                let prices = try Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/sales/materials/怡安然检测项目价格表.pdf"))
                let pdf = try await uploadForm(client, upload, fields: [], fileName: "怡安然检测项目价格表.pdf", contents: prices)
                try #require(pdf.status == .ok, "\(pdf.json)")
                #expect(pdf.json["format"]?.stringValue == "pdf" && (pdf.json["pages"]?.intValue ?? 0) >= 1)

                let emptySheet = try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/xlsx/empty-sheet.xlsx"))
                let refusals: [(String, Data, HTTPResponse.Status)] = [
                    ("broken.xlsx", Data("PK not really a zip".utf8), .unprocessableContent),
                    ("empty.xlsx", emptySheet, .unprocessableContent),
                    ("half.xlsx", sop.prefix(sop.count / 2), .unprocessableContent),
                    ("broken.pdf", Data("%PDF-1.7 nothing else".utf8), .unprocessableContent),
                    ("notes.doc", Data("plain".utf8), .unprocessableContent),
                    ("big.xlsx", Data(repeating: 0x50, count: 1_200_000), .contentTooLarge),
                ]
                for (file, contents, status) in refusals {
                    let refused = try await uploadForm(client, upload, fields: [], fileName: file, contents: contents)
                    #expect(refused.status == status, "\(file): \(refused.json)")
                    let detail = refused.json["detail"]?.stringValue ?? ""
                    #expect(detail.contains("nothing was stored") || detail.contains("neither a PDF nor an XLSX"), "\(file): \(detail)")
                }
                let files = try await requestJSON(client, "/api/digital-customer/knowledge/files")
                #expect(files.json.arrayValue?.compactMap { $0["file_name"]?.stringValue } == ["电话邀约SOP&话术.xlsx", "怡安然检测项目价格表.pdf"])

                let query = try await requestJSON(client, "/api/digital-customer/knowledge/query", method: .post, body: #"{"query": "线上咨询费用多少钱", "top_k": 3}"#)
                try #require(query.status == .ok, "\(query.json)")
                let results = query.json["results"]?.arrayValue ?? []
                #expect(results.count == 3)
                #expect(results.contains { ($0["text"]?.stringValue ?? "").contains("线上") }, "\(results)")
                for result in results {
                    let location = result["location"]?.stringValue ?? ""
                    #expect(location.hasPrefix("工作表") || location.hasPrefix("第"), "\(location)")
                    #expect(result["sheet"] != nil || result["pages"] != nil)
                }
                for bad in ["{}", #"{"query": ""}"#, #"{"query": "x", "top_k": 0}"#, #"{"query": "x", "other": 1}"#] {
                    #expect(try await requestJSON(client, "/api/digital-customer/knowledge/query", method: .post, body: bad).status == .unprocessableContent, "\(bad)")
                }

                // The copilot's suggestions in a training session cite the uploaded materials (when the model gives any).
                let created = try await uploadForm(
                    client, "/api/digital-customer/upload", fields: [("difficulty", "hard")], fileName: "王建国.md",
                    contents: try customerDocument("王建国-制造业-生产总监.md"))
                let customerID = try #require(created.json["id"]?.intValue)
                let session = try await services.training.start(customerID: customerID, userID: "copilot")
                let log = try await socketLog(
                    client, "/api/digital-customer/training/ws/\(session.id)", [messageFrame("王总您好，线上咨询的费用您了解过吗？")], greeting: true,
                    endingWith: trainingEnds)
                let round = try #require(await log.replies.first)
                let suggestions = try #require(round.first { $0["type"]?.stringValue == "copilot_suggestions" })
                if suggestions["available"]?.boolValue == true {
                    #expect(suggestions["grounded"]?.boolValue == true && suggestions["suggestions"]?.arrayValue?.count == 3)
                    let cited = (suggestions["suggestions"]?.arrayValue ?? []).flatMap { $0["sources"]?.arrayValue ?? [] }
                    #expect(cited.allSatisfy { ["电话邀约SOP&话术.xlsx", "怡安然检测项目价格表.pdf"].contains($0["file_name"]?.stringValue ?? "") })
                } else {
                    #expect(suggestions["suggestions"] == nil)
                }
                #expect(round.last?["type"]?.stringValue == "turn_end")
            }
        }
    }
}
