import DNSWire
import Foundation
import Testing

extension Integration {
    /// Thousands of broken, hostile and random packets; afterwards the daemon
    /// must still run and answer correctly.
    @Suite struct RobustnessTests {
        static let seed: UInt64 = 0x5EED_0BAD_CAFE
        static let udpPackets = 6000

        @Test("Random, truncated and hostile packets over UDP and TCP leave the daemon serving")
        func survivesGarbage() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "robust")
            defer { daemon.stop() }
            var generator = MalformedPackets(seed: Self.seed)
            var problems: [String] = []
            var replies = 0

            // Replies to the flood must be well-formed responses within the UDP limit.
            func check(_ reply: [UInt8], after packet: [UInt8]?) {
                replies += 1
                guard problems.count < 20 else { return }
                let sent = packet.map { " (last packet sent: \($0))" } ?? ""
                guard let message = try? Message(bytes: reply) else {
                    problems.append("unparseable UDP reply \(reply)\(sent)")
                    return
                }
                if !message.header.isResponse { problems.append("reply without QR: \(reply)\(sent)") }
                if reply.count > 1232 { problems.append("UDP reply of \(reply.count) bytes, over 1232\(sent)") }
            }

            for family in [daemon.ipv4, daemon.ipv6] {
                let client = try UDPClient(server: family)
                var last: [UInt8]? = nil
                for index in 0..<(Self.udpPackets / 2) {
                    let packet = generator.any()
                    try client.send(packet)
                    last = packet
                    if index % 32 == 31 {
                        while let reply = client.receive(timeout: 0.005) { check(reply, after: last) }
                    }
                }
                while let reply = client.receive(timeout: 0.2) { check(reply, after: last) }
            }
            #expect(daemon.isRunning, "failoverd died during the UDP flood (seed \(Self.seed))\n\(daemon.log())")
            #expect(replies > 0, "the daemon answered none of the valid queries in the flood")
            #expect(problems.isEmpty, Comment(rawValue: problems.joined(separator: "\n")))

            try tcpGarbage(daemon, &generator)
            #expect(daemon.isRunning, "failoverd died during the TCP garbage (seed \(Self.seed))\n\(daemon.log())")

            // Still answering correctly, on both transports and families.
            for server in [daemon.ipv4, daemon.ipv6] {
                for tcp in [false, true] {
                    let reply = try ask(QuerySpec(name: "www.example.test", type: .a, id: 0x7777, edns: 1232, tcp: tcp), at: server)
                    #expect(reply.responseCode == .noError && reply.header.isAuthoritative, "\(reply.summary)")
                    #expect(reply.answers.map(\.rdata) == [[192, 0, 2, 80]], "\(reply.summary)")
                }
            }
        }

        @Test("No reply at all to packets with QR set, shorter than 12 bytes, or with an unreadable question")
        func dropsWhatItMustDrop() throws {
            let daemon = try DaemonProcess(zone: TestZone.text, label: "robust-drop")
            defer { daemon.stop() }
            var generator = MalformedPackets(seed: Self.seed ^ 0xD409)
            let kinds: [(String, (inout MalformedPackets) -> [UInt8])] = [
                ("QR set", { $0.responseBitSet() }),
                ("shorter than 12 bytes", { $0.shortPacket() }),
                ("truncated question", { $0.truncatedQuestion() }),
                ("compression pointer in the question", { $0.pointerTrick() }),
                ("label over 63 or name over 255 octets", { $0.oversizeName() }),
            ]
            for (kind, make) in kinds {
                let client = try UDPClient(server: daemon.ipv4)
                var sent: [[UInt8]] = []
                for _ in 0..<60 {
                    let packet = make(&generator)
                    sent.append(packet)
                    try client.send(packet)
                }
                var unexpected: [[UInt8]] = []
                while let reply = client.receive(timeout: 0.3) { unexpected.append(reply) }
                #expect(unexpected.isEmpty, """
                    \(unexpected.count) replies to 60 packets of kind '\(kind)'; first reply \(unexpected.first ?? []); \
                    packets sent: \(sent.prefix(5))
                    """)
                // The same socket still gets answers: the silence above was the daemon's choice.
                let reply = try client.exchange(QuerySpec(name: "example.test", type: .soa, id: 0x1111).bytes())
                #expect((try? Message(bytes: reply))?.responseCode == .noError)
            }
        }

        /// Broken TCP streams: garbage length prefixes, partial messages,
        /// zero lengths, random bytes, hostile messages properly framed.
        func tcpGarbage(_ daemon: DaemonProcess, _ generator: inout MalformedPackets) throws {
            var clients: [TCPClient] = []
            for index in 0..<60 {
                let client = try TCPClient(server: index % 2 == 0 ? daemon.ipv4 : daemon.ipv6)
                switch index % 6 {
                case 0:  // a length promising far more than follows, then hang up
                    try client.sendRaw([0xFF, 0xFF] + generator.random.bytes(Int.random(in: 0...300, using: &generator.random)))
                case 1:  // zero length
                    try client.sendRaw([0, 0] + generator.validQuery())
                case 2:  // half a length prefix, left open
                    try client.sendRaw([0x01])
                    clients.append(client)
                case 3:  // a partial query, left open
                    let query = generator.validQuery()
                    try client.sendRaw(Array(TCPClient.frame(query).prefix(Int.random(in: 2..<(query.count + 1), using: &generator.random))))
                    clients.append(client)
                case 4:  // random bytes
                    try? client.sendRaw(generator.random.bytes(Int.random(in: 1...2000, using: &generator.random)))
                default:  // hostile messages, each properly framed, then a valid one
                    var stream: [UInt8] = []
                    for _ in 0..<20 {
                        var packet = generator.any()
                        if packet.isEmpty { packet = [0] }  // a zero length closes the connection by design
                        stream += TCPClient.frame(packet)
                    }
                    let valid = QuerySpec(name: "example.test", type: .soa, id: 0x2222).bytes()
                    try client.sendRaw(stream + TCPClient.frame(valid))
                    // Replies come back in order; the last is the SOA answer.
                    var sawSOA = false
                    while let reply = client.receive(timeout: 1.0) {
                        if let message = try? Message(bytes: reply), message.header.id == 0x2222,
                            message.answers.first?.type == .soa
                        {
                            sawSOA = true
                            break
                        }
                    }
                    #expect(sawSOA, "no SOA answer after 20 hostile framed messages on one TCP connection")
                }
            }
            clients.removeAll()
        }
    }
}
