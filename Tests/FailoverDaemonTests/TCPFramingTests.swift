@testable import FailoverApplication
import DNSWire
import NIOCore
import NIOEmbedded
import QueryEngine
import Testing
import ZoneData

@testable import FailoverDaemon

/// DNS over TCP framing (RFC 7766) on an embedded channel, without sockets.
@Suite struct TCPFramingTests {
    static let zone = try! DefaultZone.load(origin: try! DomainName("cloud66.net"))

    func makeChannel(idle: Int64 = 10, message: Int64 = 5, cookies: CookieStore? = nil) throws -> EmbeddedChannel {
        let handler = DNSOverTCPHandler(
            engine: QueryEngine(), store: SnapshotStore(ZoneSnapshot(zone: Self.zone)), counters: ServingCounters(),
            limits: .init(idleTimeout: .seconds(idle), messageTimeout: .seconds(message), maxConnections: 10),
            cookies: cookies)
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 53)).wait()
        return channel
    }

    func framed(_ id: UInt16, _ name: String = "cloud66.net", _ type: RecordType = .soa) -> [UInt8] {
        let message = Message.query(try! DomainName(name), type, id: id).serialize()
        return [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    /// Reads every framed response written so far.
    func responses(_ channel: EmbeddedChannel) throws -> [Message] {
        var all = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { all.writeBuffer(&part) }
        var messages: [Message] = []
        while let length = all.readInteger(as: UInt16.self) {
            guard let bytes = all.readBytes(length: Int(length)) else {
                Issue.record("response shorter than its length prefix")
                break
            }
            messages.append(try Message(bytes: bytes))
        }
        #expect(all.readableBytes == 0)
        return messages
    }

    @Test func aQueryFedOneByteAtATimeIsAnsweredOnce() throws {
        let channel = try makeChannel()
        let bytes = framed(11)
        for (index, byte) in bytes.enumerated() {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            if index < bytes.count - 1 { #expect(try responses(channel).isEmpty) }
        }
        let replies = try responses(channel)
        #expect(replies.map(\.header.id) == [11])
        #expect(replies.first?.header.isAuthoritative == true)
        #expect(channel.isActive)
    }

    @Test func pipelinedQueriesInOneSegmentAreAllAnsweredInOrder() throws {
        let channel = try makeChannel()
        let bytes = (1...5).flatMap { framed(UInt16($0)) }
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        #expect(try responses(channel).map(\.header.id) == [1, 2, 3, 4, 5])
    }

    @Test func queriesSplitAcrossSegmentsAtEveryOffset() throws {
        let bytes = framed(1) + framed(2, "nope.cloud66.net", .a)
        for split in 1..<bytes.count {
            let channel = try makeChannel()
            try channel.writeInbound(ByteBuffer(bytes: Array(bytes[..<split])))
            try channel.writeInbound(ByteBuffer(bytes: Array(bytes[split...])))
            let replies = try responses(channel)
            #expect(replies.map(\.header.id) == [1, 2], "split at \(split)")
            #expect(replies.last?.responseCode == .nxDomain)
        }
    }

    @Test func garbageIsDroppedWithoutStoppingTheConnection() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: [0, 3, 1, 2, 3] + framed(9)))
        #expect(try responses(channel).map(\.header.id) == [9])
    }

    @Test func zeroLengthMessageClosesTheConnection() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: [0, 0]))
        #expect(!channel.isActive)
    }

    @Test func idleConnectionClosesAfterTheIdleTimeout() throws {
        let channel = try makeChannel(idle: 10)
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(bytes: framed(1)))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive, "a query restarts the idle timer")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func aTricklingMessageIsCutOffAtTheMessageTimeout() throws {
        let channel = try makeChannel(idle: 10, message: 5)
        let bytes = framed(1)
        for byte in bytes.prefix(6) {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(!channel.isActive, "one byte a second must not keep a message open past 5 s")
    }

    /// A framed query carrying a COOKIE option (code 10) with `cookie` as its data.
    func framedWithCookie(_ id: UInt16, _ cookie: [UInt8]) -> [UInt8] {
        let message = Message.query(try! DomainName("cloud66.net"), .soa, id: id,
                                    edns: EDNSRecord(options: [(10, cookie)])).serialize()
        return [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    @Test func aClientCookieGetsAServerCookieValidForThePeerOverTCP() throws {
        let store = CookieStore(secret: Array(0..<16))
        let channel = try makeChannel(cookies: store)
        let clientCookie: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        try channel.writeInbound(ByteBuffer(bytes: framedWithCookie(1, clientCookie)))
        let reply = try #require(try responses(channel).first)
        let option = try #require(reply.edns?.options.first { $0.code == 10 }, "no COOKIE option in the TCP reply")
        #expect(option.data.count == 24 && Array(option.data.prefix(8)) == clientCookie)

        // The server cookie is the one the engine accepts from the connection's peer (127.0.0.1).
        let again = Message.query(try DomainName("cloud66.net"), .soa, id: 2,
                                  edns: EDNSRecord(options: [(10, option.data)])).serialize()
        var response = [UInt8](repeating: 0, count: 4096)
        let outcome = again.withUnsafeBytes { query in
            response.withUnsafeMutableBytes { out in
                QueryEngine().respond(to: query, into: out, transport: .tcp,
                                      snapshot: ZoneSnapshot(zone: Self.zone), scratch: QueryScratch(),
                                      now: WallClock.milliseconds(), client: IPAddress(ipv4: (127, 0, 0, 1)),
                                      cookies: store.load())
            }
        }
        #expect(outcome.validCookie)
        try channel.writeInbound(ByteBuffer(bytes: framedWithCookie(2, option.data)))
        let second = try #require(try responses(channel).first)
        #expect(second.edns?.options.first { $0.code == 10 }?.data.prefix(8).elementsEqual(clientCookie) == true)
    }

    @Test func aMalformedCookieOverTCPIsFormErr() throws {
        let channel = try makeChannel(cookies: CookieStore(secret: nil))
        // 3 bytes: shorter than a client cookie (RFC 7873 5.2.2), so FORMERR.
        try channel.writeInbound(ByteBuffer(bytes: framedWithCookie(9, [1, 2, 3])))
        let reply = try #require(try responses(channel).first)
        #expect(reply.header.id == 9)
        #expect(reply.responseCode == .formErr)
        #expect(channel.isActive, "a FORMERR answer keeps the connection")
    }

    /// The last autoRead value the handler set (EmbeddedChannel records options, it does not apply them).
    func autoRead(_ channel: EmbeddedChannel) -> Bool? {
        channel.options.last { $0.option is ChannelOptions.Types.AutoReadOption }?.value as? Bool
    }

    @Test func aLongPipelineIsAnsweredInSlicesPerEventLoopTurnAndInOrder() throws {
        let channel = try makeChannel()
        let count = 3 * DNSOverTCPHandler.answersPerTurn + 5
        try channel.writeInbound(ByteBuffer(bytes: (1...count).flatMap { framed(UInt16($0)) }))
        var ids = try responses(channel).map(\.header.id)
        #expect(ids.count == DNSOverTCPHandler.answersPerTurn, "one slice per turn, then the other connections")
        #expect(autoRead(channel) == false, "nothing more is read while a backlog waits")
        for _ in 0..<10 where ids.count < count {
            channel.embeddedEventLoop.run()
            ids += try responses(channel).map(\.header.id)
        }
        #expect(ids == (1...count).map { UInt16($0) })
        #expect(autoRead(channel) == true)
    }

    @Test func queriesReadWhileTheClientDoesNotReadWaitUntilItDoes() throws {
        let channel = try makeChannel()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        try channel.writeInbound(ByteBuffer(bytes: (1...10).flatMap { framed(UInt16($0)) }))
        #expect(try responses(channel).isEmpty, "no answer is queued for a client that does not read")
        #expect(autoRead(channel) == false)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(try responses(channel).map(\.header.id) == (1...10).map { UInt16($0) })
        #expect(autoRead(channel) == true)
    }
}
