import DNSWire
import Atomics
import CNetShim
import QueryEngine
import ZoneTransfer

#if canImport(Glibc)
import Glibc
#endif

/// Response rate limiting (as NSD, Knot and BIND do it): at most
/// `responsesPerSecond` identical responses per second to one source prefix
/// (/24, /56 by default); past that, every `slip`-th one is sent truncated
/// (so a real client retries over TCP, which cannot be spoofed) and the
/// others dropped. Responses are told apart by kind and name: an answer or
/// NODATA by query name and type, every NXDOMAIN of the zone as one, every
/// error of a code as one. So a spoofer who floods one name in a resolver's
/// name spends that resolver's budget for that name only, and random names
/// cannot each get a budget of their own. Clients with a valid server
/// cookie and exempt prefixes are never limited.
///
/// One fixed table of atomic buckets shared by all UDP workers, updated with
/// compare-and-swap: no lock, no allocation per query. Two prefixes that hash
/// to one bucket share a budget until one of them takes it over (the tag).
public final class ResponseRateLimiter: Sendable {
    public struct Settings: Sendable, Equatable {
        /// 0 turns rate limiting off.
        public var responsesPerSecond: Int = 200
        /// Every n-th limited answer goes out truncated; 0 drops them all.
        public var slip: Int = 2
        public var ipv4PrefixLength: Int = 24
        public var ipv6PrefixLength: Int = 56
        /// Never limited. Loopback by default: local resolvers and tools.
        public var exempt: [AddressPrefix] = [AddressPrefix("127.0.0.0/8")!, AddressPrefix("::1/128")!]

        public init() {}
    }

    public enum Verdict: Equatable {
        case send
        case slip
        case drop
    }

    /// Buckets: 64 Ki of them (about 2 MB), enough for the prefixes active in one second.
    static let bucketCount = 1 << 16

    public let settings: Settings
    private let buckets: [ManagedAtomic<UInt64>]

    public init(settings: Settings) {
        self.settings = settings
        buckets = (0..<Self.bucketCount).map { _ in ManagedAtomic<UInt64>(0) }
    }

    public var isEnabled: Bool { settings.responsesPerSecond > 0 }

    /// Decides for one response to `client` at `second` (any monotonic
    /// seconds); `response` holds the response through its question.
    @inline(__always)
    public func verdict(for client: IPAddress, response: UnsafeRawBufferPointer, questionEnd: Int,
                        second: UInt32) -> Verdict {
        guard isEnabled, !isExempt(client) else { return .send }
        return verdict(prefixOf: client, responseKey: Self.responseKey(response, questionEnd: questionEnd),
                       second: second)
    }

    @inline(__always)
    func isExempt(_ client: IPAddress) -> Bool {
        settings.exempt.contains { $0.contains(client) }
    }

    /// What makes two responses the same for rate limiting (FNV-1a over the
    /// kind, and for answers and NODATA the query type and lower-cased name).
    @inline(__always)
    static func responseKey(_ response: UnsafeRawBufferPointer, questionEnd: Int) -> UInt64 {
        let header = 12
        // Name, then type and class (4 bytes): anything shorter is not a question.
        guard questionEnd >= header + 5, questionEnd <= response.count else { return 0 }
        let rcode = response[3] & 0x0F
        let answers = UInt16(response[6]) << 8 | UInt16(response[7])
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        @inline(__always) func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        switch rcode {
        case 0:  // NOERROR: an answer, NODATA or a referral, per name and type
            mix(answers > 0 ? 1 : 2)
            for offset in header..<(questionEnd - 2) {
                let byte = response[offset]
                mix(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            }
        case 3:  // NXDOMAIN: one for the whole zone
            mix(3)
        default:  // errors: one per code
            mix(4)
            mix(rcode)
        }
        return hash
    }

    /// Test entry: one response of kind `responseKey` to `client`.
    func verdict(for client: IPAddress, responseKey: UInt64 = 0, second: UInt32) -> Verdict {
        guard isEnabled, !isExempt(client) else { return .send }
        return verdict(prefixOf: client, responseKey: responseKey, second: second)
    }

    @inline(__always)
    private func verdict(prefixOf client: IPAddress, responseKey: UInt64, second: UInt32) -> Verdict {
        let prefix = client.prefix(ipv4Bits: settings.ipv4PrefixLength, ipv6Bits: settings.ipv6PrefixLength)
        let prefixHigh = prefix.high
        // IPv4 and IPv6 prefixes with the same bits must not share a bucket.
        let prefixLow = client.isIPv6 ? prefix.low : 1
        var hash = (prefixHigh ^ (prefixLow &* 0x9E37_79B9_7F4A_7C15) ^ responseKey) &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 31
        let tag = UInt64(truncatingIfNeeded: hash >> 32)
        let bucket = buckets[Int(truncatingIfNeeded: hash) & (Self.bucketCount - 1)]
        let stamp = UInt64(second & 0xFFFF)
        var current = bucket.load(ordering: .relaxed)
        while true {
            let sameWindow = current >> 32 == tag && (current >> 16) & 0xFFFF == stamp
            let count = sameWindow ? min(current & 0xFFFF, 0xFFFE) + 1 : 1
            let next = tag << 32 | stamp << 16 | count
            let (exchanged, original) = bucket.compareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged {
                guard count > UInt64(settings.responsesPerSecond) else { return .send }
                let over = count - UInt64(settings.responsesPerSecond)
                return settings.slip > 0 && over % UInt64(settings.slip) == 0 ? .slip : .drop
            }
            current = original
        }
    }
}

extension IPAddress {
    /// The peer of a received datagram.
    static func from(_ datagram: UnsafePointer<fo_datagram>) -> IPAddress? {
        let family = Int32(datagram.pointee.peer.ss_family)
        return withUnsafeBytes(of: datagram.pointee.peer) { raw -> IPAddress? in
            if family == AF_INET {
                // sockaddr_in: family (2), port (2), address (4).
                return IPAddress(ipv4: (raw[4], raw[5], raw[6], raw[7]))
            }
            if family == AF_INET6 {
                // sockaddr_in6: family (2), port (2), flow info (4), address (16).
                var high: UInt64 = 0
                var low: UInt64 = 0
                for index in 0..<8 { high = high << 8 | UInt64(raw[8 + index]) }
                for index in 0..<8 { low = low << 8 | UInt64(raw[16 + index]) }
                return IPAddress(ipv6High: high, low: low).unmappingIPv4()
            }
            return nil
        }
    }
}
