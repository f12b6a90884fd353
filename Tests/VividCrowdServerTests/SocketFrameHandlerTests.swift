import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import vividcrowd_server

/// The socket transport's frame handling on an embedded channel: what reaches the route, and what the server writes.
@Suite struct SocketFrameHandlerTests {
    /// A channel with the handler installed and its connection opened: whole messages arrive on `messages`, and
    /// `closed` finishes when the connection is closed down.
    struct Harness {
        let channel: EmbeddedChannel
        let loop: EmbeddedEventLoop
        let messages: AsyncStream<SocketMessage>
        let closed: AsyncStream<Void>
    }

    func harness(maximumMessageBytes: Int = 16, pingPeriod: TimeAmount? = nil) throws -> Harness {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        // Connected, so that a close is seen as the channel going inactive.
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        let connection = SocketConnection(channel: channel, logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(
            SocketFrameHandler(connection: connection, maximumMessageBytes: maximumMessageBytes, pingPeriod: pingPeriod))
        let (messages, deliver) = AsyncStream.makeStream(of: SocketMessage.self)
        let (closed, finish) = AsyncStream.makeStream(of: Void.self)
        connection.open(SocketService(handle: { deliver.yield($0) }, closed: { finish.finish() }))
        return Harness(channel: channel, loop: loop, messages: messages, closed: closed)
    }

    func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true, maskKey: WebSocketMaskingKey? = [1, 2, 3, 4]) -> WebSocketFrame {
        var data = ByteBuffer(string: text)
        // Clients mask what they send; the handler reads the unmasked bytes.
        if let maskKey { data.webSocketMask(maskKey) }
        return WebSocketFrame(fin: fin, opcode: opcode, maskKey: maskKey, data: data)
    }

    /// The close code of the next frame the server wrote, which must be a close frame.
    func closeCode(_ channel: EmbeddedChannel) throws -> WebSocketErrorCode? {
        guard let written = try channel.readOutbound(as: WebSocketFrame.self), written.opcode == .connectionClose else { return nil }
        var data = written.data
        return data.readWebSocketErrorCode()
    }

    @Test func fragmentsAreJoinedIntoOneMessageAndBinaryIsPassedOnAsSuch() async throws {
        let harness = try harness()
        try harness.channel.writeInbound(frame(.text, "hel", fin: false))
        try harness.channel.writeInbound(frame(.continuation, "lo ", fin: false))
        try harness.channel.writeInbound(frame(.continuation, "you"))
        try harness.channel.writeInbound(frame(.binary, "\u{1}"))
        var iterator = harness.messages.makeAsyncIterator()
        guard case .text(let text)? = await iterator.next() else { Issue.record("no text message"); return }
        #expect(text == "hello you")
        guard case .binary? = await iterator.next() else { Issue.record("no binary message"); return }
        #expect(try harness.channel.readOutbound(as: WebSocketFrame.self) == nil)
    }

    @Test func aPingIsAnsweredWithItsOwnPayload() throws {
        let harness = try harness()
        try harness.channel.writeInbound(frame(.ping, "abc"))
        let pong = try #require(try harness.channel.readOutbound(as: WebSocketFrame.self))
        #expect(pong.opcode == .pong && pong.fin && String(buffer: pong.data) == "abc")
        #expect(harness.channel.isActive)
    }

    @Test func protocolErrorsAndOversizedMessagesCloseWithTheirCodes() throws {
        let stray = try harness()
        try stray.channel.writeInbound(frame(.continuation, "x"))
        #expect(try closeCode(stray.channel) == .protocolError)
        // The closing handshake: the connection ends when the peer answers the close frame, not before.
        #expect(stray.channel.isActive)
        var answer = ByteBuffer()
        answer.write(webSocketErrorCode: .protocolError)
        try stray.channel.writeInbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: answer))
        #expect(!stray.channel.isActive)

        let oversized = try harness(maximumMessageBytes: 8)
        try oversized.channel.writeInbound(frame(.text, "12345", fin: false))
        try oversized.channel.writeInbound(frame(.continuation, "67890"))
        #expect(try closeCode(oversized.channel) == .messageTooLarge)

        let reserved = try harness()
        var flagged = frame(.text, "x")
        flagged.rsv1 = true
        try reserved.channel.writeInbound(flagged)
        #expect(try closeCode(reserved.channel) == .protocolError)
    }

    @Test func aPeersCloseIsAnsweredWithItsCodeAndTheConnectionClosesDown() async throws {
        let harness = try harness()
        var data = ByteBuffer()
        data.write(webSocketErrorCode: .normalClosure)
        try harness.channel.writeInbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
        #expect(try closeCode(harness.channel) == .normalClosure)
        #expect(!harness.channel.isActive)
        // The route's `closed` runs (metrics, room subscriptions): the stream it finishes ends.
        for await _ in harness.closed {}
    }

    @Test func aPingUnansweredForAPeriodClosesTheSocketAndAnAnsweredOneDoesNot() throws {
        let harness = try harness(pingPeriod: .seconds(30))
        harness.loop.advanceTime(by: .seconds(30))
        let ping = try #require(try harness.channel.readOutbound(as: WebSocketFrame.self))
        #expect(ping.opcode == .ping)
        try harness.channel.writeInbound(frame(.pong, ""))
        harness.loop.advanceTime(by: .seconds(30))
        #expect(try harness.channel.readOutbound(as: WebSocketFrame.self)?.opcode == .ping)
        #expect(harness.channel.isActive)
        // This one goes unanswered; so does the close frame, and the connection is dropped after the close timeout.
        harness.loop.advanceTime(by: .seconds(30))
        #expect(try closeCode(harness.channel) == .goingAway)
        #expect(harness.channel.isActive)
        harness.loop.advanceTime(by: SocketFrameHandler.closeTimeout)
        #expect(!harness.channel.isActive)
    }
}
