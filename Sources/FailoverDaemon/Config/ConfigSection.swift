/// One mapping of the configuration file (the top level, or a section such as
/// `control`) read key by key: every reader checks presence, type and range,
/// and every error names the key by its dotted path ("'udp.workers' must be
/// 0 to 64"). Keys the section does not know are refused when it is opened,
/// so a typo never silently falls back to a default.
struct ConfigSection {
    let source: String
    /// The dotted path of this section; empty at the top level.
    let path: String
    let values: [String: Any]

    /// Opens `value` as a mapping whose keys must all be in `known`.
    init(_ value: Any, path: String, source: String, known: [String], expected: String) throws(ConfigError) {
        guard let values = value as? [String: Any] else {
            throw path.isEmpty
                ? ConfigError("\(source): the top level must be a mapping of keys (listen, zone, ttl, ...)")
                : ConfigError("\(source): '\(path)' must be \(expected)")
        }
        self.source = source
        self.path = path
        self.values = values
        for key in values.keys.sorted() where !known.contains(key) {
            throw ConfigError("\(source): unknown key '\(name(key))' (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// The dotted name of `key` in this section.
    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ expected: String) -> ConfigError {
        ConfigError("\(source): '\(name(key))' must be \(expected)")
    }

    /// A message about `key` that is not of the "must be" form.
    func problem(_ key: String, _ message: String) -> ConfigError {
        ConfigError("\(source): \(name(key)): \(message)")
    }

    /// A sub-section, if present.
    func section(_ key: String, known: [String], expected: String = "a mapping") throws(ConfigError) -> ConfigSection? {
        guard let value = values[key] else { return nil }
        return try ConfigSection(value, path: name(key), source: source, known: known, expected: expected)
    }

    func integer(_ key: String, _ range: ClosedRange<Int>, _ expected: String? = nil) throws(ConfigError) -> Int? {
        guard let value = values[key] else { return nil }
        guard let number = value as? Int, range.contains(number) else {
            throw fail(key, expected ?? "\(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A number of seconds (integer or decimal) accepted by `isValid`.
    func seconds(_ key: String, _ expected: String, _ isValid: (Double) -> Bool) throws(ConfigError) -> Double? {
        guard let value = values[key] else { return nil }
        let number = (value as? Int).map(Double.init) ?? value as? Double
        guard let number, isValid(number) else { throw fail(key, expected) }
        return number
    }

    func string(_ key: String, _ expected: String) throws(ConfigError) -> String? {
        guard let value = values[key] else { return nil }
        guard let text = value as? String, !text.isEmpty else { throw fail(key, expected) }
        return text
    }

    func strings(_ key: String, _ expected: String) throws(ConfigError) -> [String]? {
        guard let value = values[key] else { return nil }
        guard let list = value as? [String] else { throw fail(key, expected) }
        return list
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = values[key] else { return nil }
        guard let flag = value as? Bool else { throw fail(key, "true or false") }
        return flag
    }

    /// A list of mappings (`tsig-keys`, `transfer.allow`, `notify`).
    func entries(_ key: String, _ expected: String) throws(ConfigError) -> [[String: Any]]? {
        guard let value = values[key] else { return nil }
        guard let list = value as? [[String: Any]] else { throw fail(key, expected) }
        return list
    }

    /// Each string of a list through `parse`, which names what is wrong with an item.
    func list<Item>(_ key: String, _ expected: String, _ parse: (String) throws(ConfigError) -> Item)
        throws(ConfigError) -> [Item]?
    {
        guard let value = values[key] else { return nil }
        guard let list = value as? [Any] else { throw fail(key, expected) }
        var items: [Item] = []
        for item in list {
            guard let text = item as? String else { throw fail(key, expected) }
            items.append(try parse(text))
        }
        return items
    }
}
