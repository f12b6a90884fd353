import Synchronization

/// The vectors of the last few texts embedded, by `embeddingKey(model:inputType:text:)`; the oldest goes first when it is full.
/// A text's vector under one model never changes, so nothing here goes stale.
final class RecentVectors: Sendable {
    private struct State {
        var vectors: [String: [Float]] = [:]
        /// Keys in the order they came, `next` the slot the next one takes.
        var order: [String] = []
        var next = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(0, capacity) }

    func vector(for key: String) -> [Float]? { state.withLock { $0.vectors[key] } }

    func remember(_ vector: [Float], for key: String) {
        guard capacity > 0 else { return }
        state.withLock { state in
            guard state.vectors.updateValue(vector, forKey: key) == nil else { return }
            if state.order.count < capacity {
                state.order.append(key)
            } else {
                state.vectors[state.order[state.next]] = nil
                state.order[state.next] = key
                state.next = (state.next + 1) % capacity
            }
        }
    }
}
