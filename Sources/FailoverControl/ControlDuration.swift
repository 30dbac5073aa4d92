/// Durations as people type and read them: `90`, `90s`, `2m`, `1h`, `1h30m`, `1.5m`, `0`.
public enum ControlDuration {
    /// Seconds in `text`: a bare number is seconds; otherwise one or more number+unit parts with units
    /// `s`, `m`, `h`, `d`. Nil for empty text, negative or unknown units, or a non-finite result.
    public static func seconds(from text: String) -> Double? {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { return nil }
        if trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            guard trimmed.first != ".", let plain = Double(trimmed), plain.isFinite else { return nil }
            return plain
        }
        var total = 0.0
        var digits = ""
        var sawPart = false
        for character in trimmed {
            if character.isASCII, character.isNumber || character == "." {
                digits.append(character)
                continue
            }
            let multiplier: Double
            switch character {
            case "s": multiplier = 1
            case "m": multiplier = 60
            case "h": multiplier = 3_600
            case "d": multiplier = 86_400
            default: return nil
            }
            guard let value = Double(digits), digits.first != "." else { return nil }
            total += value * multiplier
            digits = ""
            sawPart = true
        }
        guard digits.isEmpty, sawPart, total.isFinite else { return nil }
        return total
    }

    /// A compact rendering, rounded to whole seconds: `0s`, `42s`, `1m42s`, `2h5m`, `3d4h`.
    public static func string(seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        var remaining = Int64(seconds.rounded())
        let sign = remaining < 0 ? "-" : ""
        remaining = abs(remaining)
        let days = remaining / 86_400
        let hours = remaining / 3_600 % 24
        let minutes = remaining / 60 % 60
        let secs = remaining % 60
        let text: String
        if days > 0 {
            text = "\(days)d" + (hours > 0 ? "\(hours)h" : "")
        } else if hours > 0 {
            text = "\(hours)h" + (minutes > 0 ? "\(minutes)m" : "")
        } else if minutes > 0 {
            text = "\(minutes)m" + (secs > 0 ? "\(secs)s" : "")
        } else {
            text = "\(secs)s"
        }
        return sign + text
    }
}

extension String {
    func trimmingSpaces() -> String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view.removeFirst() }
        while view.last?.isWhitespace == true { view.removeLast() }
        return String(view)
    }
}
