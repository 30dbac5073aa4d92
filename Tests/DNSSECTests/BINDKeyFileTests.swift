import DNSSEC
import DNSWire
import Foundation
import Testing

/// Key files both ways with BIND's own tools: keys `dnssec-keygen` writes
/// are read here to the same DNSKEY and file name; keys written here sign a
/// zone with `dnssec-signzone` that `dnssec-verify` accepts.
@Suite struct BINDKeyFileTests {
    static let zone = try! DomainName("Example.Test.")

    static func bindName(_ algorithm: DNSSECAlgorithm) -> String {
        algorithm == .ecdsaP256SHA256 ? "ECDSAP256SHA256" : "ED25519"
    }

    /// Runs a tool in `directory`; returns its exit status and standard output (errors appended).
    static func run(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text + errorText)
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test(arguments: DNSSECAlgorithm.allCases)
    func readsWhatDnssecKeygenWrites(algorithm: DNSSECAlgorithm) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try Self.run(["dnssec-keygen", "-K", directory.path, "-a", Self.bindName(algorithm), "-f", "KSK",
                                 "-n", "ZONE", "example.test."], in: directory)
        try #require(made.status == 0, "\(made.output)")
        let base = made.output.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        let key = try BINDKeyFile.readPrivate(
            String(contentsOf: directory.appendingPathComponent(base + ".private"), encoding: .utf8))
        let published = try BINDKeyFile.readPublic(
            String(contentsOf: directory.appendingPathComponent(base + ".key"), encoding: .utf8))
        #expect(DNSKEYRecord(key: key) == published)
        #expect(BINDKeyFile.baseName(zone: Self.zone, dnskey: published) == base)
    }

    @Test(arguments: DNSSECAlgorithm.allCases)
    func bindSignsWithKeyFilesWrittenHere(algorithm: DNSSECAlgorithm) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = SigningKey.generate(algorithm)
        let dnskey = DNSKEYRecord(key: key)
        let base = BINDKeyFile.baseName(zone: Self.zone, dnskey: dnskey)
        try BINDKeyFile.privateText(key, created: 1_796_000_000)
            .write(to: directory.appendingPathComponent(base + ".private"), atomically: true, encoding: .utf8)
        try BINDKeyFile.publicText(zone: Self.zone, dnskey: dnskey)
            .write(to: directory.appendingPathComponent(base + ".key"), atomically: true, encoding: .utf8)
        #expect(try BINDKeyFile.readPublic(BINDKeyFile.publicText(zone: Self.zone, dnskey: dnskey)) == dnskey)
        try """
        $TTL 300
        @ IN SOA ns1 hostmaster 1 3600 900 1209600 60
        @ IN NS ns1
        ns1 IN A 192.0.2.1
        414-262-781 IN A 192.0.2.7
        $INCLUDE \(base).key

        """.write(to: directory.appendingPathComponent("zone"), atomically: true, encoding: .utf8)
        // -z: the one key (a combined signing key) signs every RRset, not only the DNSKEY RRset.
        let signed = try Self.run(["dnssec-signzone", "-z", "-K", directory.path, "-o", "example.test.",
                                   "-f", "zone.signed", "zone", base], in: directory)
        try #require(signed.status == 0, "\(signed.output)")
        let verified = try Self.run(["dnssec-verify", "-z", "-o", "example.test.", "zone.signed"], in: directory)
        #expect(verified.status == 0, "\(verified.output)")
        let text = try String(contentsOf: directory.appendingPathComponent("zone.signed"), encoding: .utf8)
        #expect(text.contains(" \(dnskey.keyTag) example.test."), "no signature by key \(dnskey.keyTag)")
    }

    @Test func aShortP256ScalarIsPaddedOnTheLeft() throws {
        // About one key in 256 has a leading zero byte, which BIND 9.16 left out of the file.
        var key = SigningKey.generate(.ecdsaP256SHA256)
        while key.privateKeyBytes[0] != 0 { key = .generate(.ecdsaP256SHA256) }
        let short = Data(key.privateKeyBytes.dropFirst()).base64EncodedString()
        let text = "Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: \(short)\n"
        #expect(try BINDKeyFile.readPrivate(text).publicKey == key.publicKey)
    }

    @Test(arguments: [
        "Algorithm: 13 (ECDSAP256SHA256)\nPrivateKey: AAAA\n",
        "Private-key-format: v1.3\nAlgorithm: 8 (RSASHA256)\nPrivateKey: AAAA\n",
        "Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\n",
        "Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\nPrivateKey: not base64!\n",
        "Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\nPrivateKey: AAECAw==\n",
    ])
    func refusesFilesItCannotUse(text: String) {
        #expect(throws: DNSSECError.self) { try BINDKeyFile.readPrivate(text) }
    }
}
