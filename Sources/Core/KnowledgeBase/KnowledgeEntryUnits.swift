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
