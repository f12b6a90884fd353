import Testing

@testable import vividcrowd_server

@Suite("Giving freed memory back")
struct MemoryTrimTests {
    @Test("trims on a burst of closed connections and through the minute after it, never on a quiet server")
    func policy() {
        var policy = MemoryTrimPolicy(interval: .seconds(30), closedEver: 0, closedThreshold: 200, afterBurst: .seconds(60))
        // Quiet, then a trickle below the threshold: nothing to give back.
        #expect(policy.tick(closedEver: 0) == false)
        #expect(policy.tick(closedEver: 150) == false)
        // A burst: trims now and on the two ticks of the next 60 s, then stops.
        #expect(policy.tick(closedEver: 2_150) == true)
        #expect(policy.tick(closedEver: 2_150) == true)
        #expect(policy.tick(closedEver: 2_160) == true)
        #expect(policy.tick(closedEver: 2_160) == false)
        #expect(policy.tick(closedEver: 2_160) == false)
        // Another burst starts the window again.
        #expect(policy.tick(closedEver: 3_000) == true)
    }

    @Test("connections closed are counted apart from those open")
    func counts() {
        let count = ConnectionCount()
        #expect(count.opened() == 1)
        #expect(count.opened() == 2)
        count.closed()
        #expect(count.closedEver == 1)
        #expect(count.opened() == 2)
    }
}
