/// Where a retrieval unit came from, so an answer can cite it.
public struct Provenance: Sendable, Hashable, Codable {
    /// The file the unit was read from (a knowledge-base CSV, a PDF, a spreadsheet).
    public var source: String
    /// The record the unit belongs to, as an index into the records the index was built from (a knowledge-base
    /// entry, a document chunk).
    public var record: Int
    /// The CSV line, when the unit came from a table row.
    public var row: Int?
    /// The first and last page, when the unit came from a paged document.
    public var pages: ClosedRange<Int>?
    /// Character offsets of the unit in its source's text, when known.
    public var characters: Range<Int>?

    public init(source: String, record: Int, row: Int? = nil, pages: ClosedRange<Int>? = nil, characters: Range<Int>? = nil) {
        self.source = source
        self.record = record
        self.row = row
        self.pages = pages
        self.characters = characters
    }
}

/// One piece of text the hybrid index scores: an FAQ phrasing, a document chunk. Units of the same `group` (a topic,
/// a chunk, a document) are ranked together and collapse into one candidate.
public struct RetrievalUnit: Sendable, Hashable, Codable {
    public var text: String
    public var group: String
    public var provenance: Provenance

    public init(text: String, group: String, provenance: Provenance) {
        self.text = text
        self.group = group
        self.provenance = provenance
    }
}

/// One group a query may be about, with the evidence for it.
public struct GroupCandidate: Sendable, Hashable, Codable {
    /// The group's name (a topic, a chunk id, a document).
    public var group: String
    /// The unit (index into the index's units) that matched best.
    public var unit: Int
    /// The record of that unit (its provenance's record).
    public var record: Int
    /// Raw BM25 score of the group.
    public var bm25: Float
    /// BM25 divided by the query's maximum attainable score (0...1).
    public var bm25Normalised: Float
    /// Cosine similarity of the best unit.
    public var cosine: Float
    /// The fused ranking score.
    public var fused: Float
    /// How many standard deviations the cosine stands above the index's mean for this query.
    public var cosineZ: Float = 0
}
