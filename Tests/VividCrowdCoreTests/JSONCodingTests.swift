import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

/// The reference: JSONDecoder into JSONValue's Decodable conformance, as parse() did before it had its own parser.
private func reference(_ text: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

private struct Sample: Codable, Equatable {
    struct Inner: Codable, Equatable {
        var flag: Bool
        var ratio: Float
        var tags: [String]
    }
    enum Kind: String, Codable { case one, two }

    var name: String
    var count: Int
    var big: UInt64
    var score: Double
    var missing: String?
    var present: Int?
    var nested: Inner
    var list: [Inner]
    var byName: [String: Int]
    var byNumber: [Int: String]
    var kind: Kind
    var when: Date
    var bytes: Data
    var link: URL
    var any: JSONValue
}

@Suite("JSON parsing and encoding")
struct JSONCodingTests {
    @Test("the parser reads what JSONDecoder reads, value for value: literals, numbers, escapes, nesting, the cassettes")
    func parserAgreesWithJSONDecoder() throws {
        let samples = [
            #"{"a": 1, "b": [true, false, null], "c": {"d": "e"}}"#, #"  [ ]  "#, #"{}"#, #""plain""#, "0", "-0", "-12.5e-3",
            "1E+2", "123456789012345678", #""\u4e2d\u6587 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t""#, #""中文 😀""#,
            #"{"dup": 1, "dup": 2}"#, #"[[[[[[1]]]]]]"#, #"{"message": "你好", "agent_ids": ["xiaolin"]}"#,
        ]
        for sample in samples {
            #expect(try JSONValue.parse(sample) == reference(sample), "\(sample)")
        }
        // Every committed cassette: real requests, streamed chunks and base64 vectors.
        let cassettes = repositoryRoot.appendingPathComponent("corpora/cassettes")
        for name in ["group-chat.json", "llm-smoke.json", "customers.json"] {
            let data = try Data(contentsOf: cassettes.appendingPathComponent(name))
            #expect(try JSONValue.parse(data) == JSONDecoder().decode(JSONValue.self, from: data), "\(name)")
        }
    }

    @Test("malformed text is an error, never a crash: truncation, bad escapes, control characters, lone surrogates, depth")
    func parserRefusesMalformedText() throws {
        let bad = [
            "", " ", "{", "[1,", #"{"a" 1}"#, #"{"a": }"#, "[1 2]", "tru", "nul", "01", "1.", "-", "1e", "+1", #""abc"#,
            #""\x""#, #""\u12""#, "\"tab\there\"", #""\ud800""#, #""\udc00 x""#, "1e999", #"{"a": 1} x"#, "[1,]",
            String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
        ]
        for sample in bad {
            #expect(throws: (any Error).self, "\(sample.prefix(40))") { _ = try JSONValue.parse(sample) }
        }
        #expect(throws: (any Error).self) { _ = try JSONValue.parse(Data([0x22, 0xFF, 0xFE, 0x22])) }
        // Within the depth limit, deep nesting parses.
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(try JSONValue.parse(deep) == reference(deep))
    }

    @Test("a byte-order mark or UTF-16 text still parses, through JSONDecoder")
    func otherEncodings() throws {
        let text = #"{"message": "你好"}"#
        #expect(try JSONValue.parse(Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8)) == reference(text))
        #expect(try JSONValue.parse(text.data(using: .utf16LittleEndian)!) == reference(text))
    }

    @Test("the value encoder gives what JSONEncoder (ISO 8601 dates) then parsing gives, for every kind of field")
    func encoderAgreesWithJSONEncoder() throws {
        let sample = Sample(
            name: "名字 \"quoted\"", count: -42, big: 1 << 52, score: 0.125, missing: nil, present: 7,
            nested: .init(flag: true, ratio: 0.5, tags: ["a", "b"]), list: [.init(flag: false, ratio: 2, tags: [])],
            byName: ["x": 1, "y": 2], byNumber: [3: "three"], kind: .two, when: Date(timeIntervalSince1970: 1_780_000_000),
            bytes: Data([1, 2, 3, 250]), link: URL(string: "https://example.com/a?b=c")!, any: ["k": [1, "two", nil]])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let expected = try JSONValue.parse(encoder.encode(sample))
        #expect(try JSONValueEncoder.encode(sample) == expected)
        #expect(try JSONValueEncoder.encode(sample)["missing"] == nil)
        #expect(throws: EncodingError.self) { _ = try JSONValueEncoder.encode(["bad": Double.nan]) }
        let frame = try ConversationFrame(type: "response", encoding: sample, extra: ["session_id": "s1"])
        #expect(frame.fields["name"] == expected["name"] && frame.fields["session_id"] == "s1")
    }
}
