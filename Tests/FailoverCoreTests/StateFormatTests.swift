import DNSWire
import Testing

@testable import FailoverCore

/// The binary checkpoint and journal records (format 2): round trips, format 1
/// JSON still read, and every kind of damage refused naming file and offset.
@Suite struct StateFormatTests {
    static func richModel() -> FailoverModel {
        var model = FailoverModel()
        for mutation in sampleMutations() { try! model.apply(mutation) }
        try! model.apply(.appPut(makeApp("a4", host: "lb4.example.net")))
        try! model.apply(.groupCreate(address: address("999-999-999"), primary: appID("a4"), backup: appID("a1"),
                                      now: t0 + 9))
        try! model.apply(.groupSwitch(address: address("999-999-999"), to: .backup, due: t0 + 60_000,
                                      requestedAt: t0 + 10, requestedBy: "ops \u{1F680}"))
        try! model.apply(.groupCreate(address: address("000-000-000"), primary: nil, backup: appID("a4"), now: t0 + 11))
        return model
    }

    @Test func binaryRoundTrip() throws {
        let model = Self.richModel()
        #expect(model.pendingCount == 1 && !model.tombstones.isEmpty)
        let bytes = CheckpointFile(journalSeq: 77, model: model).encoded()
        #expect(CheckpointBinary.matches(bytes))
        let decoded = try CheckpointFile.decode(bytes, path: "/state/checkpoint")
        #expect(decoded.model == model && decoded.journalSeq == 77)
        #expect(decoded.model.pendingCount == 1)
        #expect(decoded.model.addresses(referencing: appID("a4")) == [address("999-999-999"), address("000-000-000")])
        // Equal models encode to equal bytes.
        #expect(CheckpointFile(journalSeq: 77, model: decoded.model).encoded() == bytes)
    }

    @Test func formatOneJSONStillLoads() throws {
        let model = Self.richModel()
        try withTemporaryDirectory { directory in
            writeFile(directory + "/snapshot", try CheckpointFile(journalSeq: 0, model: model).encodedAsJSON())
            #expect(try StateStore.open(directory: directory).model == model)
        }
    }

    /// Every truncation and a flipped bit in every byte is refused with the
    /// path and an offset, never a crash or a wrong model.
    @Test func everyTruncationAndBitFlipIsRefused() throws {
        let bytes = CheckpointFile(journalSeq: 3, model: Self.richModel()).encoded()
        for length in 0..<bytes.count {
            expectRefused(Array(bytes[0..<length]))
        }
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0x10
            expectRefused(damaged)
        }
    }

    /// Damage that keeps a valid checksum (a bug, not a disk error) is still
    /// caught by the structural checks: huge counts, bad references, bad values.
    @Test func structuralDamageWithAValidChecksumIsRefused() throws {
        let model = Self.richModel()
        let good = CheckpointFile(journalSeq: 3, model: model).encoded()
        func resealed(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
            var body = Array(good[0..<(good.count - 4)])
            edit(&body)
            var writer = CheckpointBinary.Writer(bytes: body)
            writer.u32(CRC32C.checksum(body))
            return writer.bytes
        }
        let appCountOffset = CheckpointBinary.magic.count + 4 + 8 + 4
        expectRefused(resealed { $0.replaceSubrange(appCountOffset..<(appCountOffset + 4), with: [0xFF, 0xFF, 0xFF, 0xFF]) },
                      mentioning: "count")
        expectRefused(resealed { $0.replaceSubrange(appCountOffset..<(appCountOffset + 4), with: [0, 0, 0, 1]) })
        expectRefused(resealed { $0 += [0] }, mentioning: "unexpected bytes")
        expectRefused(resealed { $0[CheckpointBinary.magic.count + 3] = 9 }, mentioning: "format 9")
        // The first app id's first byte turned into a space: not a valid app id.
        expectRefused(resealed { $0[appCountOffset + 6] = UInt8(ascii: " ") }, mentioning: "app id")
    }

    /// A checkpoint of one app, written by hand: `head` writes its web head (kind and value).
    static func oneAppSnapshot(name: String = "Shop", head: (inout CheckpointBinary.Writer) -> Void) -> [UInt8] {
        var out = CheckpointBinary.Writer()
        out.bytes += CheckpointBinary.magic
        out.u32(CheckpointBinary.format)
        out.u64(0)
        out.u32(1)
        out.u32(1)
        out.string("shop")
        out.string(name)
        head(&out)
        for _ in 0..<4 { out.u32(0) }  // groups, tombstones, checks, policies
        out.u32(CRC32C.checksum(out.bytes))
        return out.bytes
    }

    /// Apps outside the normal form the daemon writes (unsorted or repeated
    /// addresses, a non-ASCII name) take the full validation, as before the
    /// quick path for normal ones: normalized, or refused.
    @Test func appsOutsideTheNormalFormAreValidatedInFull() throws {
        func addresses(_ list: [[UInt8]]) -> (inout CheckpointBinary.Writer) -> Void {
            { out in
                out.u8(2)
                out.u8(UInt8(list.count))
                for address in list {
                    out.u8(UInt8(address.count))
                    out.bytes += address
                }
            }
        }
        let v6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
        for list in [[[10, 0, 0, 2], [10, 0, 0, 1]], [[10, 0, 0, 1], [10, 0, 0, 1], [10, 0, 0, 2]],
                     [v6, [10, 0, 0, 2], [10, 0, 0, 1]]] as [[[UInt8]]] {
            let model = try CheckpointFile.decode(Self.oneAppSnapshot(head: addresses(list)), path: "/state/checkpoint").model
            let expected = try WebHead.addresses(validating: list.map { IPAddress(bytes: $0)!.description })
            #expect(model.apps[appID("shop")]?.webHead == expected)
        }
        let accented = try CheckpointFile.decode(Self.oneAppSnapshot(name: "Boutique \u{E9}t\u{E9}", head: { $0.u8(0) }),
                                               path: "/state/checkpoint").model
        #expect(accented.apps[appID("shop")]?.name == "Boutique \u{E9}t\u{E9}")
        expectRefused(Self.oneAppSnapshot(head: { $0.u8(1); $0.string("LB.example.net") }), mentioning: "normal form")
        expectRefused(Self.oneAppSnapshot(head: addresses([])), mentioning: "empty")
        expectRefused(Self.oneAppSnapshot(name: "", head: { $0.u8(0) }), mentioning: "name")
    }

    /// Ids and addresses are checked for duplicates out of order too: the
    /// quick check only skips those past every one before them.
    @Test func duplicatesOutOfOrderAreRefused() throws {
        func snapshot(apps: [String], groups: [UInt32]) -> [UInt8] {
            var out = CheckpointBinary.Writer()
            out.bytes += CheckpointBinary.magic
            out.u32(CheckpointBinary.format)
            out.u64(0)
            out.u32(1)
            out.u32(UInt32(apps.count))
            for id in apps {
                out.string(id)
                out.string("App")
                out.u8(0)
            }
            out.u32(UInt32(groups.count))
            for address in groups {
                out.u32(address)
                out.u32(1)
                out.u32(0)
                out.u8(0)
                out.u64(1)
                out.u64(0)
                out.u64(0)
                out.u8(0)
            }
            for _ in 0..<3 { out.u32(0) }  // tombstones, checks, policies
            out.u32(CRC32C.checksum(out.bytes))
            return out.bytes
        }
        #expect(try CheckpointFile.decode(snapshot(apps: ["b", "a", "c"], groups: [5, 3, 7]), path: "/s").model.groups.count == 3)
        expectRefused(snapshot(apps: ["b", "a", "b"], groups: []), mentioning: "twice")
        expectRefused(snapshot(apps: ["a", "b", "b"], groups: []), mentioning: "twice")
        expectRefused(snapshot(apps: ["Caf\u{E9}", "a", "Caf\u{E9}"], groups: []))
        expectRefused(snapshot(apps: ["a"], groups: [5, 3, 5]), mentioning: "twice")
        expectRefused(snapshot(apps: ["a"], groups: [3, 5, 5]), mentioning: "twice")
    }

    func expectRefused(_ bytes: [UInt8], mentioning: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let decoded = try CheckpointFile.decode(bytes, path: "/state/checkpoint")
            Issue.record("decoded \(bytes.count) damaged bytes into a model of \(decoded.model.groups.count) groups",
                         sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .internal, sourceLocation: sourceLocation)
            #expect(error.message.contains("/state/checkpoint") && error.message.contains("byte offset"), "\(error.message)",
                    sourceLocation: sourceLocation)
            if let mentioning {
                #expect(error.message.contains(mentioning), "\(error.message)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func journalRecordsRoundTripEveryMutation() throws {
        for (index, mutation) in sampleMutations().enumerated() {
            let bytes = JournalRecord(seq: UInt64(index + 1), mutation: mutation).encoded()
            #expect(bytes[JournalRecord.headerSize] == MutationBinary.marker)
            let scan = JournalScan(bytes)
            #expect(scan.ending == .clean)
            #expect(scan.entries.map(\.record) == [JournalRecord(seq: UInt64(index + 1), mutation: mutation)])
        }
    }

    /// A journal written by an earlier version (JSON records) followed by
    /// records of this one replays whole.
    @Test func mixedFormatJournalReplays() throws {
        try withTemporaryDirectory { directory in
            let mutations = sampleMutations()
            var bytes: [UInt8] = []
            var expected = FailoverModel()
            for (index, mutation) in mutations.enumerated() {
                let record = JournalRecord(seq: UInt64(index + 1), mutation: mutation)
                bytes += index < 5 ? try record.encodedAsJSON() : record.encoded()
                try expected.apply(mutation)
            }
            writeFile(directory + "/journal", bytes)
            #expect(try StateStore.open(directory: directory).model == expected)
        }
    }

    /// A binary record with a good checksum but a bad body (a bug, not a torn
    /// write) stops start-up naming the offset.
    @Test func badBinaryRecordWithGoodChecksumIsCorruption() throws {
        let good = MutationBinary.encode(seq: 1, .groupDelete(address: g1))
        for payload in [good + [0], [MutationBinary.marker] + Array(good[1..<9]) + [99], Array(good.dropLast())] {
            var framed: [UInt8] = []
            var writer = CheckpointBinary.Writer(bytes: [])
            writer.u32(UInt32(payload.count))
            writer.u32(CRC32C.checksum(payload))
            framed = writer.bytes + payload
            guard case .corrupt(let offset, let reason) = JournalScan(framed).ending else {
                Issue.record("payload \(payload) was not refused")
                continue
            }
            #expect(offset == 0 && reason.contains("does not decode"), "\(reason)")
        }
    }
}
