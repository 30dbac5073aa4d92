import FailoverControl

/// One input of the `control` fuzz target: bytes from the control socket,
/// through the line framer, the JSON parser and the request decoder (the
/// daemon's side), and as a line from the daemon (failoverctl's side).
/// Shared by Fuzz/control.swift and the regression tests. Returns nil when
/// every invariant holds, or what broke.
public enum ControlCheck {
    public static func check(_ bytes: [UInt8]) -> String? {
        if let problem = json(bytes) { return problem }
        // The whole input as one request line (what decodeCommand sees after framing).
        if let problem = request(bytes) { return problem }
        // The input as a stream: every framed line is a request. A small
        // limit exercises the oversized-line path too.
        var framer = ControlLineFramer(maximumLineLength: 512)
        framer.append(bytes)
        framer.append([UInt8(ascii: "\n")])
        var frames = 0
        while let frame = framer.next() {
            frames += 1
            if frames > bytes.count + 1 { return "framer yields more frames than lines" }
            guard case .line(let line) = frame else { continue }
            if line.contains(UInt8(ascii: "\n")) { return "framed line holds a newline" }
            if line.count >= 512 { return "framed line of \(line.count) bytes passes a 512 byte limit" }
            if line != bytes, let problem = request(line) { return problem }
        }
        // failoverctl's side: a line from the daemon.
        _ = ControlMessage(line: bytes)
        return nil
    }

    /// Whatever parses re-encodes to one line, and that encoding is stable.
    static func json(_ bytes: [UInt8]) -> String? {
        guard let value = try? JSONValue.parse(bytes) else { return nil }
        var first: [UInt8] = []
        value.write(into: &first)
        if first.contains(UInt8(ascii: "\n")) { return "encoded JSON holds a newline" }
        guard let again = try? JSONValue.parse(first) else {
            return "encoded JSON does not parse back: \(String(decoding: first, as: UTF8.self))"
        }
        var second: [UInt8] = []
        again.write(into: &second)
        guard first == second else {
            return "JSON encoding is not stable: \(String(decoding: first, as: UTF8.self)) then "
                + String(decoding: second, as: UTF8.self)
        }
        return nil
    }

    /// A decoded command re-encodes to a request that decodes to the same
    /// command; a rejection encodes to one parseable response line.
    static func request(_ line: [UInt8]) -> String? {
        if let problem = agreement(line) { return problem }
        do {
            let (id, command) = try ControlRequest.decodeCommand(line: line)
            let encoded = ControlRequest(id: id, command: command).line
            guard let (_, again) = try? ControlRequest.decodeCommand(line: encoded) else {
                return "re-encoded request is rejected: \(String(decoding: encoded, as: UTF8.self))"
            }
            guard again == command else {
                return "command changed through encode and decode: \(String(decoding: encoded, as: UTF8.self))"
            }
        } catch {
            let response = error.response.line
            guard response.last == UInt8(ascii: "\n"), response.filter({ $0 == UInt8(ascii: "\n") }).count == 1 else {
                return "rejection response is not one line"
            }
            guard case .response? = ControlMessage(line: response.dropLast()) else {
                return "rejection response does not read back: \(String(decoding: response, as: UTF8.self))"
            }
        }
        return nil
    }

    /// `decodeCommand` (which takes a well-formed line through its one-pass
    /// scanner) decodes exactly what the full parser decodes.
    static func agreement(_ line: [UInt8]) -> String? {
        let full = (try? ControlRequest(line: line)).flatMap { request in
            (try? request.command()).map { (id: request.id, command: $0) }
        }
        let decoded = try? ControlRequest.decodeCommand(line: line)
        guard decoded?.id == full?.id, decoded?.command == full?.command else {
            return "decodeCommand and the full parser disagree on \(String(decoding: line, as: UTF8.self))"
        }
        return nil
    }
}
