import Testing
import VividCrowdCore
import VividCrowdTesting

@Suite("SSE parser")
struct SSEParserTests {
    @Test("a stream fed one byte at a time yields the same events, multi-byte characters intact")
    func byteByByte() {
        let text = ": ping\r\n\r\ndata: {\"t\":\"你好\"}\r\n\r\nevent: error\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n"
        var whole = SSEParser()
        let expected = whole.feed(Array(text.utf8)) + whole.finish()
        var split = SSEParser()
        var events: [SSEParser.Event] = []
        for byte in text.utf8 { events += split.feed([byte]) }
        events += split.finish()
        #expect(events == expected)
        #expect(events.map(\.data) == ["{\"t\":\"你好\"}", "line one\nline two", "[DONE]"])
        #expect(events[1].event == "error")
    }

    @Test("comments and keep-alives produce no events")
    func comments() {
        var parser = SSEParser()
        #expect(parser.feed(Array(": ping - 2026-01-01\n\n: keep-alive\n\n".utf8)).isEmpty)
        #expect(parser.finish().isEmpty)
    }

    @Test("a final event without a trailing blank line is flushed by finish")
    func unterminated() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: last".utf8)).isEmpty)
        #expect(parser.finish().map(\.data) == ["last"])
    }
}
