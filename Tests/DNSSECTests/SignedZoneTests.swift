import CLDNS
import DNSSEC
import DNSWire
import Foundation
import Testing
import ZoneData
import ZoneTransfer

/// The whole zone as a transfer carries it once signed, checked by two
/// independent verifiers: libldns's `ldns-verify-zone` and BIND's
/// `dnssec-verify` must accept it (every RRSIG valid, the NSEC chain
/// complete and in order, the apex keys right), and must refuse it when one
/// record is changed or one NSEC is missing.
@Suite struct SignedZoneTests {
    static let origin = try! DomainName("cloud66.example.")

    static let zoneText = """
        $TTL 300
        @ IN SOA ns1 hostmaster 2026120701 3600 900 1209600 60
        @ IN NS ns1
        @ IN MX 10 mail
        ns1 IN A 192.0.2.1
        mail IN A 192.0.2.3
        www IN CNAME 000-000-001
        a.b.deep IN TXT "leaves b.deep as an empty non-terminal"
        sub IN NS ns.sub
        sub IN DS 12345 13 2 3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b
        ns.sub IN A 192.0.2.9
        zzz IN TXT "last static name"

        """

    /// A signed snapshot: groups with a CNAME, with A and AAAA, with A only, with no web head, one of them
    /// pending a switch (its records carry the lowered TTL of a transfer).
    static func signedZone(_ algorithm: DNSSECAlgorithm) throws -> [ResourceRecord] {
        let zone = try ZoneFileLoader.load(text: zoneText, origin: origin)
        let answers = AnswerTable([
            .hostname(try DomainName("LB-1.Example.NET.")),
            .addresses([[192, 0, 2, 10], [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x10]]),
            .addresses([[198, 51, 100, 7], [198, 51, 100, 8]]),
        ])
        let entries = [
            GroupTable.Entry(address: 1, answer: 0, due: 0),
            GroupTable.Entry(address: 414_262_781, answer: 1, due: 0),
            GroupTable.Entry(address: 414_262_782, answer: 2, due: 1_900_000_000_000),
            GroupTable.Entry(address: 999_999_999, answer: -1, due: 0),
        ]
        let snapshot = ZoneSnapshot(zone: zone, groups: GroupTable(ttl: 30, answers: answers, entries: entries),
                                    serial: 2026120705)
        let chain = DenialChain(zone: zone, groups: AddressOrder(entries.map(\.address)))
        let now = UInt32(Date().timeIntervalSince1970)
        let signer = ZoneSigner(origin: origin, key: .generate(algorithm), inception: now - 3600,
                                expiration: now + 14 * 86400)
        return [ZoneRecords.soa(snapshot)]
            + (try SignedZoneRecords.all(snapshot, chain: chain, signer: signer, pendingTTL: 5))
    }

    /// One record in presentation format, as libldns writes it.
    static func text(_ record: ResourceRecord) -> String {
        var wire = record.name.wire
        wire += [UInt8(record.type.rawValue >> 8), UInt8(record.type.rawValue & 0xFF), 0, 1]
        wire += withUnsafeBytes(of: record.ttl.bigEndian, Array.init)
        wire += [UInt8(record.rdata.count >> 8), UInt8(record.rdata.count & 0xFF)] + record.rdata
        var rr: UnsafeMutablePointer<ldns_rr>? = nil
        var position = 0
        let status = wire.withUnsafeBufferPointer { ldns_wire2rr(&rr, $0.baseAddress!, wire.count, &position, LDNS_SECTION_ANSWER) }
        guard status == LDNS_STATUS_OK, let rr, let text = ldns_rr2str(rr) else { return "; unparsed \(record)" }
        defer { ldns_rr_free(rr); free(text) }
        return String(cString: text)
    }

    /// Runs a verifier on the zone; returns its exit status and output.
    static func verify(_ records: [ResourceRecord], with tool: [String]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("signed-\(UUID().uuidString).zone")
        defer { try? FileManager.default.removeItem(at: file) }
        try records.map(text).joined().write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = tool + [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// `-z`: the one key is a combined signing key, so no separate zone-signing key is expected.
    static let verifiers = [["ldns-verify-zone"], ["dnssec-verify", "-z", "-o", "cloud66.example."]]

    @Test(arguments: DNSSECAlgorithm.allCases)
    func verifiersAcceptTheSignedZone(algorithm: DNSSECAlgorithm) throws {
        let records = try Self.signedZone(algorithm)
        #expect(records.contains { $0.type == .dnskey })
        #expect(records.filter { $0.type == .nsec }.count == 11, "apex, ns1, mail, www, a.b.deep, sub, zzz and 4 groups (one without data)")
        for tool in Self.verifiers {
            let (status, output) = try Self.verify(records, with: tool)
            #expect(status == 0, "\(tool[0]): \(output)")
        }
    }

    @Test(arguments: DNSSECAlgorithm.allCases)
    func verifiersRefuseAChangedRecordOrABrokenChain(algorithm: DNSSECAlgorithm) throws {
        let records = try Self.signedZone(algorithm)
        var changed = records
        let address = try #require(changed.firstIndex { $0.type == .a && $0.name.description.hasPrefix("414-262-781") })
        changed[address].rdata[3] ^= 1
        var broken = records
        broken.remove(at: try #require(broken.firstIndex { $0.type == .nsec && $0.name.description.hasPrefix("mail") }))
        for tool in Self.verifiers {
            #expect(try Self.verify(changed, with: tool).status != 0, "\(tool[0]) accepted a changed A record")
            #expect(try Self.verify(broken, with: tool).status != 0, "\(tool[0]) accepted a chain without mail's NSEC")
        }
    }
}
