import DNSWire

/// The server secrets for DNS cookies (RFC 7873) in the RFC 9018 format:
/// a current secret that makes cookies, and the previous one still accepted
/// after a rotation.
public final class CookieSecrets: Sendable {
    public let current: (UInt64, UInt64)
    public let previous: (UInt64, UInt64)?

    public init(current: [UInt8], previous: [UInt8]? = nil) {
        self.current = SipHash24.key(current)
        self.previous = previous.map(SipHash24.key)
    }

    /// A server cookie is accepted from one hour before to five minutes
    /// after now (RFC 9018 4.3).
    static let maxAge: UInt32 = 3600
    static let maxAhead: UInt32 = 300
}

extension QueryEngine {
    /// Computes the RFC 9018 hash over client cookie | version | reserved |
    /// timestamp | client address, using scratch memory.
    @inline(__always)
    static func cookieHash(
        clientCookie: UnsafeRawBufferPointer, version: UInt8, reserved: (UInt8, UInt8, UInt8), timestamp: UInt32,
        client: IPAddress, key: (UInt64, UInt64), scratch: QueryScratch
    ) -> UInt64 {
        let input = scratch.cookieInput
        for index in 0..<8 { input[index] = clientCookie[index] }
        input[8] = version
        input[9] = reserved.0
        input[10] = reserved.1
        input[11] = reserved.2
        input.storeBigEndianUInt32(timestamp, at: 12)
        let length = 16 + client.write(into: input, at: 16)
        return SipHash24.hash(key0: key.0, key1: key.1, UnsafeRawBufferPointer(rebasing: input[0..<length]))
    }

    /// True when the query carried a server cookie we made, recently.
    static func serverCookieIsValid(
        _ cookie: UnsafeRawBufferPointer, clientCookie: UnsafeRawBufferPointer, client: IPAddress,
        secrets: CookieSecrets, now: UInt32, scratch: QueryScratch
    ) -> Bool {
        guard cookie.count == 16, cookie[0] == 1 else { return false }
        let timestamp = cookie.loadBigEndianUInt32(at: 4)
        let age = now &- timestamp
        let ahead = timestamp &- now
        guard age <= CookieSecrets.maxAge || ahead <= CookieSecrets.maxAhead else { return false }
        let reserved = (cookie[1], cookie[2], cookie[3])
        var received: UInt64 = 0
        for index in 8..<16 { received = received << 8 | UInt64(cookie[index]) }
        // The hash goes on the wire little-endian, as SipHash's reference code writes it.
        let current = cookieHash(clientCookie: clientCookie, version: 1, reserved: reserved, timestamp: timestamp,
                                 client: client, key: secrets.current, scratch: scratch)
        if current.byteSwapped == received { return true }
        guard let previous = secrets.previous else { return false }
        return cookieHash(clientCookie: clientCookie, version: 1, reserved: reserved, timestamp: timestamp,
                          client: client, key: previous, scratch: scratch).byteSwapped == received
    }
}
