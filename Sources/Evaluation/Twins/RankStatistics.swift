/// Order statistics for reports: ROC AUC and quantiles.
public enum RankStatistics {
    /// The probability that a random positive scores above a random negative (ties count half); nil when either side
    /// is empty.
    public static func rocAUC(positives: [Double], negatives: [Double]) -> Double? {
        guard !positives.isEmpty, !negatives.isEmpty else { return nil }
        let labelled = (positives.map { ($0, true) } + negatives.map { ($0, false) }).sorted { $0.0 < $1.0 }
        // Mann–Whitney U from the positives' mid-ranks.
        var rankSum = 0.0
        var start = 0
        while start < labelled.count {
            var end = start
            while end + 1 < labelled.count, labelled[end + 1].0 == labelled[start].0 { end += 1 }
            let midRank = Double(start + end) / 2 + 1
            for index in start...end where labelled[index].1 { rankSum += midRank }
            start = end + 1
        }
        let p = Double(positives.count)
        return (rankSum - p * (p + 1) / 2) / (p * Double(negatives.count))
    }

    /// The value at quantile `q` (0...1) of sorted values, nearest rank; 0 when empty.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * q).rounded(.up)) - 1))]
    }
}
