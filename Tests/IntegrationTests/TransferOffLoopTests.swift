import DNSWire
import FailoverControl
import Foundation
import Testing

extension Integration {
    /// Zone transfers are rendered off the event loop that serves every TCP
    /// client and the control socket: a slow AXFR (a million groups takes
    /// seconds; here a test hook slows it) holds up no one else, and a query
    /// pipelined behind it on the same connection is answered after it.
    @Suite struct TransferOffLoopTests {
        static let renderDelayMilliseconds = 1500

        @Test("During a slow AXFR another TCP client and the control socket are answered; the query behind it comes after it")
        func slowTransferHoldsUpNoOne() throws {
            let daemon = try DaemonProcess(
                zone: TestZone.text,
                extraConfig: DaemonProcess.transfersFromLoopback,
                environment: ["FAILOVERD_TEST_TRANSFER_DELAY_MS": String(Self.renderDelayMilliseconds)],
                label: "axfr-off-loop")
            defer { daemon.stop() }
            #expect(daemon.log().contains("FAILOVERD_TEST_TRANSFER_DELAY_MS=\(Self.renderDelayMilliseconds)"),
                    "the delay hook needs a debug build of failoverd")

            let transfer = try TCPClient(server: daemon.ipv4, timeout: 10)
            let started = Date()
            try transfer.send(QuerySpec(name: "example.test", type: .axfr, id: 1, tcp: true).bytes())
            try transfer.send(QuerySpec(name: "ns1.example.test", type: .a, id: 2, tcp: true).bytes())

            let other = try TCPClient(server: daemon.ipv4)
            let answer = try Message(bytes: other.exchange(QuerySpec(name: "ns1.example.test", type: .a, id: 3, tcp: true).bytes()))
            let otherAnswered = Date().timeIntervalSince(started)
            #expect(answer.header.id == 3 && answer.answers.count == 1)

            let control = try ControlClient(socketPath: daemon.controlSocket, timeout: 10)
            _ = try control.call(op: .appList, args: [:])
            let controlAnswered = Date().timeIntervalSince(started)

            var transferMessages: [Message] = []
            var soaCount = 0
            while soaCount < 2, let bytes = transfer.receive(timeout: 10) {
                let message = try Message(bytes: bytes)
                #expect(message.header.id == 1 && message.header.rcode == 0, "transfer message \(message.header)")
                soaCount += message.answers.filter { $0.type == .soa }.count
                transferMessages.append(message)
            }
            let transferDone = Date().timeIntervalSince(started)
            #expect(soaCount == 2, "the AXFR did not end with its SOA")
            let behind = try Message(bytes: try #require(transfer.receive(timeout: 5), "no answer to the query behind the AXFR"))
            #expect(behind.header.id == 2 && behind.answers.count == 1)

            print(String(format: "[axfr-off-loop] other TCP client %.3f s, control %.3f s, AXFR (%d messages) %.3f s",
                         otherAnswered, controlAnswered, transferMessages.count, transferDone))
            #expect(transferDone >= Double(Self.renderDelayMilliseconds) / 1000, "the render delay hook did not apply")
            #expect(otherAnswered < transferDone && controlAnswered < transferDone,
                    "the event loop waited for the transfer to render")
        }

        @Test("A query sent while the AXFR renders, read apart from it, is answered after it")
        func queryDuringTransfer() throws {
            let daemon = try DaemonProcess(
                zone: TestZone.text,
                extraConfig: DaemonProcess.transfersFromLoopback,
                environment: ["FAILOVERD_TEST_TRANSFER_DELAY_MS": "800"],
                label: "axfr-then-query")
            defer { daemon.stop() }
            let transfer = try TCPClient(server: daemon.ipv4, timeout: 10)
            try transfer.send(QuerySpec(name: "example.test", type: .axfr, id: 1, tcp: true).bytes())
            usleep(300_000)
            try transfer.send(QuerySpec(name: "ns1.example.test", type: .a, id: 2, tcp: true).bytes())
            var soaCount = 0
            while soaCount < 2, let bytes = transfer.receive(timeout: 10) {
                let message = try Message(bytes: bytes)
                #expect(message.header.id == 1, "transfer message \(message.header)")
                soaCount += message.answers.filter { $0.type == .soa }.count
            }
            #expect(soaCount == 2, "the AXFR did not end with its SOA")
            let behind = try Message(bytes: try #require(transfer.receive(timeout: 5), "no answer to the query sent during the AXFR"))
            #expect(behind.header.id == 2 && behind.answers.count == 1)
        }
    }
}
