import DNSWire
import Foundation
import Testing

extension Integration {
    /// Interrupt moderation (`udp.latency-budget-us`): a worker that waits between
    /// batches still answers every query of a burst, to the right client, with
    /// the answer to that client's own question.
    @Suite struct UDPBatchTests {
        @Test("A burst from several clients through one worker with the longest latency budget: every query answered, to its sender")
        func burstThroughBatchWait() throws {
            let daemon = try DaemonProcess(
                zone: TestZone.text, udp: ["latency-budget-us: 10000"], label: "udp-batch")
            defer { daemon.stop() }
            let names = [("ns1.example.test", UInt8(0)), ("nothing.example.test", 3), ("mail.example.test", 0)]
            let perClient = 50
            let clients = try (0..<4).map { _ in try UDPClient(server: daemon.ipv4) }
            // Every client sends its whole share before anyone reads: the worker sees partial batches and waits.
            for round in 0..<perClient {
                for (index, client) in clients.enumerated() {
                    let id = UInt16(index * 1000 + round)
                    try client.send(QuerySpec(name: names[round % names.count].0, type: .a, id: id).bytes())
                }
            }
            for (index, client) in clients.enumerated() {
                var unanswered = Set((0..<perClient).map { UInt16(index * 1000 + $0) })
                while !unanswered.isEmpty, let bytes = client.receive(timeout: 5) {
                    let reply = try Message(bytes: bytes)
                    let id = reply.header.id
                    #expect(unanswered.remove(id) != nil, "client \(index) got a reply it did not ask for: id \(id)")
                    let (name, rcode) = names[Int(id) % 1000 % names.count]
                    #expect(reply.questions.first?.name == (try DomainName(name)), "id \(id): wrong question")
                    #expect(reply.header.rcode == rcode, "id \(id): rcode \(reply.header.rcode)")
                }
                #expect(unanswered.isEmpty, "client \(index): \(unanswered.count) of \(perClient) queries unanswered")
            }
            // A lone query after the burst is still answered (the wait ends; the worker reads again).
            Thread.sleep(forTimeInterval: 0.05)
            let started = Date()
            let lone = try clients[0].exchange(QuerySpec(name: "ns1.example.test", type: .a, id: 9999).bytes())
            #expect(try Message(bytes: lone).answers.count == 1)
            print("[udp-batch] \(clients.count * perClient) queries in a burst answered; a lone query after it took "
                + String(format: "%.2f ms", Date().timeIntervalSince(started) * 1000))
        }
    }
}
