import DNSWire
import Foundation
import QueryEngine
import Testing
import ZoneTransfer

/// Replays the committed fuzz inputs through the fuzz targets' own checks:
/// every crash the fuzzer found (Fuzz/regressions/TARGET, one file per bug)
/// and the seed corpus (Fuzz/corpus/TARGET). A crash here is the bug back.
/// Serialized: the checks share one scratch and one response buffer, as a fuzz process does.
@Suite("Fuzz regressions", .serialized)
struct ReplayTests {
    static let fuzzFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    struct Input: CustomTestStringConvertible, Sendable {
        var target: String
        var path: String
        var bytes: [UInt8]
        var testDescription: String { "\(target)/\(path)" }
    }

    /// Files of Fuzz/KIND/TARGET, sorted; README and notes (*.md) left out.
    static func inputs(_ kind: String, _ target: String) -> [Input] {
        let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasSuffix(".md") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
                return nil
            }
            return Input(target: target, path: "\(kind)/\(name)", bytes: Array(data))
        }
    }

    static let regressions = ["wire", "control", "zone", "model", "tsig"].flatMap { inputs("regressions", $0) }
    static let seeds = ["wire", "control", "zone", "model", "tsig"].flatMap { inputs("corpus", $0) }

    static func check(_ input: Input) -> String? {
        switch input.target {
        case "wire": WireCheck.check(input.bytes)
        case "control": ControlCheck.check(input.bytes)
        case "model": ModelCheck.check(input.bytes)
        case "tsig": TSIGCheck.check(input.bytes)
        default: ZoneCheck.check(input.bytes)
        }
    }

    @Test(arguments: regressions)
    func regressionInputPasses(_ input: Input) {
        #expect(Self.check(input) == nil)
    }

    @Test func seedCorpusPasses() {
        #expect(Self.seeds.count > 150, "seed corpus missing: \(Self.fuzzFolder.path)")
        for input in Self.seeds {
            #expect(Self.check(input) == nil, "\(input.testDescription)")
        }
    }

    /// The signed seeds really are signed with the wire target's key at its
    /// clock, so the fuzzer starts from requests that pass TSIG.
    @Test func signedSeedsVerify() throws {
        let seed = try #require(Self.seeds.first { $0.path == "corpus/axfr-signed" })
        let found = try #require(TSIG.find(in: seed.bytes))
        guard case .valid = TSIG.verify(seed.bytes, found: found, keys: [WireCheck.key], now: WireCheck.tsigNow) else {
            Issue.record("axfr-signed does not verify")
            return
        }
    }

    /// The cookie seeds carry server cookies the engine accepts, so the
    /// fuzzer starts from both sides of the check.
    @Test(arguments: [("corpus/cookie-valid", true), ("corpus/cookie-valid-previous-secret", true),
                      ("corpus/cookie-expired", false), ("corpus/cookie-wrong-hash", false)])
    func cookieSeedsAreValidAsNamed(path: String, valid: Bool) throws {
        let seed = try #require(Self.seeds.first { $0.path == path })
        var outcome = QueryOutcome.dropped
        #expect(WireCheck.check(seed.bytes, outcome: &outcome) == nil)
        #expect(outcome.disposition == .answered)
        #expect(outcome.validCookie == valid)
    }

    /// Found by fuzzing: an AXFR of a zone holding a record larger than one
    /// transfer message never ended. Now the loader refuses such a record and
    /// the transfer stops with SERVFAIL if one ever gets through.
    @Test func axfrOfARecordLargerThanAMessageEnds() throws {
        let path = Self.fuzzFolder.appendingPathComponent("regressions/zone/axfr-record-larger-than-a-message").path
        let bytes = try #require(FileManager.default.contents(atPath: path))
        #expect(ZoneCheck.check(Array(bytes)) == nil)
    }
}
