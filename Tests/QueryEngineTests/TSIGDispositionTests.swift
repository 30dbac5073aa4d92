import DNSWire
import QueryEngine
import Testing

/// The engine does not answer a query ending with a TSIG: it reports
/// `.needsTSIG` and writes nothing, for the transport's signed path.
@Suite struct TSIGDispositionTests {
    let harness = EngineHarness()

    /// A TSIG record (owner "k", class ANY) with a short, well-formed RDATA:
    /// the engine only looks at its type and position.
    static let tsigRecord: [UInt8] = [1, UInt8(ascii: "k"), 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 19]
        + [0] + [0, 0, 0, 0, 0, 1] + [1, 44] + [0, 2, 0xAB, 0xCD] + [0, 7] + [0, 0] + [0, 0]

    func query(additional records: [[UInt8]], edns: Bool = false) -> [UInt8] {
        var bytes = Message.query(try! DomainName("www.example.test"), .a, id: 9,
                                  edns: edns ? EDNSRecord() : nil).serialize()
        for record in records { bytes += record }
        let count = (Int(bytes[10]) << 8 | Int(bytes[11])) + records.count
        bytes[10] = UInt8(count >> 8)
        bytes[11] = UInt8(count & 0xFF)
        return bytes
    }

    func outcome(_ bytes: [UInt8], transport: Transport) -> (QueryOutcome, [UInt8]) {
        var response = [UInt8](repeating: 0xEE, count: 4096)
        let outcome = bytes.withUnsafeBytes { raw in
            response.withUnsafeMutableBytes {
                harness.engine.respond(to: raw, into: $0, transport: transport, snapshot: harness.snapshot,
                                       scratch: harness.scratch)
            }
        }
        return (outcome, response)
    }

    @Test(arguments: [Transport.udp, .tcp])
    func aTrailingTSIGIsHandedOver(_ transport: Transport) {
        for edns in [false, true] {
            let (result, response) = outcome(query(additional: [Self.tsigRecord], edns: edns), transport: transport)
            #expect(result.disposition == .needsTSIG && result.length == 0)
            #expect(result.queryType == .a)
            #expect(response.allSatisfy { $0 == 0xEE }, "nothing written")
        }
    }

    @Test func twoTSIGsAreFORMERR() {
        let (result, _) = outcome(query(additional: [Self.tsigRecord, Self.tsigRecord]), transport: .udp)
        #expect(result.disposition == .answered && result.rcode == .formErr)
    }

    @Test func anUnsignedQueryIsStillAnswered() {
        let (result, _) = outcome(query(additional: []), transport: .udp)
        #expect(result.disposition == .answered && result.rcode == .noError)
    }
}
