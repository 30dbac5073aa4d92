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

    func makeChannel(idle: Int64 = 10, message: Int64 = 5) throws -> EmbeddedChannel {
        let handler = DNSOverTCPHandler(
            engine: QueryEngine(), store: SnapshotStore(ZoneSnapshot(zone: Self.zone)), counters: ServingCounters(),
            limits: .init(idleTimeout: .seconds(idle), messageTimeout: .seconds(message), maxConnections: 10))
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
}
