import Foundation

/// What dig or kdig printed for one query, parsed from their default output.
struct DigReply: CustomStringConvertible {
    var status = ""
    var flags: Set<String> = []
    var question: [String] = []
    var answer: [[String]] = []
    var authority: [[String]] = []
    var additional: [[String]] = []
    var truncatedRetry = false
    var edns = false
    var raw = ""

    var description: String { raw }

    var aa: Bool { flags.contains("aa") }
    var tc: Bool { flags.contains("tc") }

    /// Answer records of one type (column 4 of `name ttl class type rdata`).
    func answers(ofType type: String) -> [[String]] { answer.filter { $0.count > 3 && $0[3] == type } }
    func authorities(ofType type: String) -> [[String]] { authority.filter { $0.count > 3 && $0[3] == type } }
}

/// Runs `dig` or `kdig` against a server and parses the answer. Both print
/// a header line with the status, a flags line and named sections; kdig
/// separates fields with ';' where dig uses ','.
enum Dig {
    enum Tool: String { case dig, kdig }

    static func query(_ tool: Tool, server: Endpoint, name: String, type: String, options: [String] = [])
        throws -> DigReply
    {
        let path = try locateTool(tool.rawValue)
        var arguments = ["@" + server.host, "-p", String(server.port), name, type, "+norecurse"]
        arguments += tool == .dig ? ["+time=2", "+tries=1"] : ["+time=2", "+retry=0"]
        arguments += options
        let result = try runTool(path, arguments)
        let text = result.stdout + result.stderr
        guard result.status == 0 else {
            throw ClientError("\(tool) \(arguments.joined(separator: " ")) exited \(result.status):\n\(text)")
        }
        var reply = parse(text)
        reply.raw = "$ \(tool) \(arguments.joined(separator: " "))\n\(text)"
        return reply
    }

    static func parse(_ text: String) -> DigReply {
        var reply = DigReply()
        var section: String? = nil
        // After a TCP retry both replies are printed; keep the last one.
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            let lower = line.lowercased()
            if lower.contains("truncated, retrying in tcp mode") || lower.contains("retrying over tcp") {
                reply.truncatedRetry = true
            }
            if line.isEmpty {
                section = nil
                continue
            }
            if lower.hasPrefix(";; ->>header<<-") {
                // A new reply starts: forget the previous one (TC followed by TCP retry).
                let keepRetry = reply.truncatedRetry
                reply = DigReply()
                reply.truncatedRetry = keepRetry
                if let range = lower.range(of: "status: ") {
                    reply.status = String(line[range.upperBound...].prefix { $0.isLetter }).uppercased()
                }
                continue
            }
            if lower.hasPrefix(";; flags:") {
                let afterLabel = line.dropFirst(";; flags:".count)
                let flagText = afterLabel.prefix { $0 != ";" }
                reply.flags = Set(flagText.split(separator: " ").map { String($0).lowercased() })
                continue
            }
            if lower.hasPrefix("; edns:") || lower.hasPrefix(";; edns pseudosection") || lower.hasPrefix(";; opt pseudosection") {
                reply.edns = true
            }
            if lower.hasSuffix("section:") {
                if lower.contains("question") { section = "question" }
                else if lower.contains("answer") { section = "answer" }
                else if lower.contains("authority") { section = "authority" }
                else if lower.contains("additional") { section = "additional" }
                else { section = nil }
                continue
            }
            guard let current = section else { continue }
            if current == "question" {
                let stripped = line.drop { $0 == ";" || $0 == " " }
                if let name = stripped.split(whereSeparator: { $0 == " " || $0 == "\t" }).first {
                    reply.question.append(String(name))
                }
                continue
            }
            if line.hasPrefix(";") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            switch current {
            case "answer": reply.answer.append(fields)
            case "authority": reply.authority.append(fields)
            case "additional": reply.additional.append(fields)
            default: break
            }
        }
        return reply
    }
}
