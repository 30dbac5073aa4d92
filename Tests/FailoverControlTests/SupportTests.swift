import Testing

@testable import FailoverControl

@Suite("Durations, times and framing")
struct SupportTests {
    @Test(
        "durations for --in",
        arguments: [
            ("90", 90.0), ("90s", 90), ("2m", 120), ("1h", 3_600), ("0", 0), ("0s", 0), ("1h30m", 5_400),
            ("1.5m", 90), ("1d", 86_400), ("2m30s", 150), (" 45 ", 45), ("0.25", 0.25),
        ] as [(String, Double)])
    func durations(text: String, seconds: Double) {
        #expect(ControlDuration.seconds(from: text) == seconds)
    }

    @Test("bad durations", arguments: ["", "s", "-5", "5x", "m5", "1h 30m", ".5s", "2m30", "1e3", "inf", "0x10", "--"])
    func badDurations(text: String) {
        #expect(ControlDuration.seconds(from: text) == nil)
    }

    @Test("durations for people")
    func durationText() {
        #expect(ControlDuration.string(seconds: 0) == "0s")
        #expect(ControlDuration.string(seconds: 42.4) == "42s")
        #expect(ControlDuration.string(seconds: 102) == "1m42s")
        #expect(ControlDuration.string(seconds: 120) == "2m")
        #expect(ControlDuration.string(seconds: 7_500) == "2h5m")
        #expect(ControlDuration.string(seconds: 273_600) == "3d4h")
        #expect(ControlDuration.string(seconds: -5) == "-5s")
    }

    @Test(
        "RFC 3339 with milliseconds",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00.000Z"),
            (1_795_816_800_000, "2026-11-27T22:00:00.000Z"),
            (951_782_400_123, "2000-02-29T00:00:00.123Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        ])
    func rfc3339(milliseconds: Int64, text: String) {
        #expect(RFC3339.string(fromMilliseconds: milliseconds) == text)
        #expect(RFC3339.milliseconds(from: text) == milliseconds)
    }

    @Test("RFC 3339 parsing variants")
    func rfc3339Parsing() {
        #expect(RFC3339.milliseconds(from: "2026-11-27T22:00:00Z") == 1_795_816_800_000)
        #expect(RFC3339.milliseconds(from: "2026-11-27T23:00:00.5+01:00") == 1_795_816_800_500)
        #expect(RFC3339.milliseconds(from: "2026-11-27t22:00:00.123456z") == 1_795_816_800_123)
        for bad in [
            "", "2026-11-27", "2026-02-30T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T22:00:00",
            "2026-11-27T22:00:00.Z", "2026-11-27T22:00:00Zx",
        ] {
            #expect(RFC3339.milliseconds(from: bad) == nil, "\(bad)")
        }
    }

    func frames(_ framer: inout ControlLineFramer) -> [ControlLineFramer.Frame] {
        var result: [ControlLineFramer.Frame] = []
        while let frame = framer.next() { result.append(frame) }
        return result
    }

    @Test("lines fed one byte at a time")
    func byteAtATime() {
        var framer = ControlLineFramer(maximumLineLength: 100)
        var collected: [ControlLineFramer.Frame] = []
        for byte in Array("{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\"".utf8) {
            framer.append([byte])
            collected += frames(&framer)
        }
        #expect(collected == [.line(Array("{\"a\":1}".utf8)), .line(Array("{\"b\":2}".utf8))])
        #expect(framer.bufferedCount == 4)
    }

    @Test("several lines in one chunk")
    func manyPerChunk() {
        var framer = ControlLineFramer(maximumLineLength: 100)
        framer.append(Array("a\nb\nc".utf8))
        #expect(frames(&framer) == [.line([UInt8(ascii: "a")]), .line([UInt8(ascii: "b")])])
        framer.append(Array("\n".utf8))
        #expect(frames(&framer) == [.line([UInt8(ascii: "c")])])
    }

    @Test("an oversized line is reported once, then framing resumes")
    func oversizedResync() {
        var framer = ControlLineFramer(maximumLineLength: 10)
        framer.append(Array("0123456789".utf8))
        #expect(frames(&framer) == [.tooLarge])
        framer.append(Array("abcdef".utf8))
        #expect(frames(&framer) == [])
        framer.append(Array("xyz\nok\n".utf8))
        #expect(frames(&framer) == [.line(Array("ok".utf8))])
        framer.append(Array("123456789\n12345678901\nz\n".utf8))
        #expect(frames(&framer) == [.line(Array("123456789".utf8)), .tooLarge, .line([UInt8(ascii: "z")])])
    }
}
