extension KnowledgeEntry {
    /// Every phrasing of every entry, in index order: what is embedded and indexed.
    public static func phrasings(of entries: [KnowledgeEntry]) -> [String] {
        entries.flatMap(\.phrasings)
    }

    /// Every phrasing of every entry as a retrieval unit grouped by topic, with its file, row and record;
    /// `sources` names each entry's file (one name for all when it has a single element, "" when empty).
    public static func retrievalUnits(of entries: [KnowledgeEntry], sources: [String] = []) -> [RetrievalUnit] {
        entries.enumerated().flatMap { record, entry in
            let source = sources.count == entries.count ? sources[record] : (sources.first ?? "")
            return entry.phrasings.map { phrasing in
                RetrievalUnit(
                    text: phrasing, group: entry.topicName,
                    provenance: Provenance(source: source, record: record, row: entry.line))
            }
        }
    }
}

extension KnowledgeEntry {
    /// Each topic's name as search terms, which its BM25 document holds beside its phrasings' words: a name such as
    /// 儿童便秘与饮食调整 or card_arrival says what its questions are about in words they often use. Underscores
    /// separate words, as in identifiers.
    public static func topicTerms(of entries: [KnowledgeEntry], tokenizer: SearchTokenizer) -> [String: [String]] {
        var terms: [String: [String]] = [:]
        for entry in entries where terms[entry.topicName] == nil {
            terms[entry.topicName] = tokenizer.terms(entry.topicName.replacingOccurrences(of: "_", with: " "))
        }
        return terms
    }
}

extension KnowledgeEntry {
    /// Every phrasing held out in turn and asked of an index of the rest, phrasings and topic names searched as in
    /// every index of the knowledge base (`SelfCalibration.heldOutQueries`); none when too few topics have several
    /// phrasings. `vectors` are the phrasings' in index order.
    public static func heldOutQueries(
        of entries: [KnowledgeEntry], vectors: [[Float]], tokenizer: SearchTokenizer
    ) throws -> [ScoredQuery] {
        let units = retrievalUnits(of: entries)
        guard SelfCalibration.canCalibrate(units) else { return [] }
        return try SelfCalibration.heldOutQueries(
            units: units, unitTerms: phrasings(of: entries).map(tokenizer.terms), unitVectors: vectors,
            groupTerms: topicTerms(of: entries, tokenizer: tokenizer))
    }
}

extension HybridIndex {
    /// The index of a knowledge base: every phrasing a unit of its topic, BM25 over each topic's phrasings and name.
    /// `vectors` are the phrasings' in index order; `sources` as for `KnowledgeEntry.retrievalUnits`.
    public init(
        knowledgeBase entries: [KnowledgeEntry], sources: [String] = [], vectors: [[Float]], tokenizer: SearchTokenizer,
        denseSearch: DenseSearchPolicy = DenseSearchPolicy(), corpusVersion: String = ""
    ) throws {
        try self.init(
            units: KnowledgeEntry.retrievalUnits(of: entries, sources: sources),
            unitTerms: KnowledgeEntry.phrasings(of: entries).map(tokenizer.terms), unitVectors: vectors,
            groupTerms: KnowledgeEntry.topicTerms(of: entries, tokenizer: tokenizer), denseSearch: denseSearch,
            corpusVersion: corpusVersion)
    }
}
