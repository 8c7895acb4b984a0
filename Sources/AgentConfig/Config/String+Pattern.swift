extension String {
    /// True when the whole string matches `pattern`, a regular expression the JSON Schemas in
    /// docs/schema use too (so validator and schema share one spelling of each rule).
    func wholeMatches(_ pattern: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: self)) != nil
    }
}
