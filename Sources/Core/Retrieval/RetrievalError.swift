/// Why a retrieval index could not be built or queried.
public enum RetrievalError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The embedding model returns vectors of another length than the index holds (the model or its server changed).
    case dimensionMismatch(model: String, modelDimension: Int, indexDimension: Int)
    /// Units, term lists and vectors do not line up one to one.
    case misalignedInputs(units: Int, termLists: Int, vectors: Int)

    public var description: String {
        switch self {
        case .dimensionMismatch(let model, let modelDimension, let indexDimension):
            return "the embedding model \(model) returns \(modelDimension)-dimension vectors, but the index holds "
                + "\(indexDimension)-dimension vectors; configure the model the knowledge base was embedded with, "
                + "or import it again with this one"
        case .misalignedInputs(let units, let termLists, let vectors):
            return "\(units) units need one term list and one vector each; got \(termLists) and \(vectors)"
        }
    }
}

extension RetrievalError: ConversationFailure {
    public var code: String {
        switch self {
        case .dimensionMismatch: return "embedding_dimension_mismatch"
        case .misalignedInputs: return "index_failed"
        }
    }

    public var userMessage: String { description }
}
