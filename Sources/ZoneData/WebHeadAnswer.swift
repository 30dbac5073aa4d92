import DNSWire

/// The answer records for one web head, pre-rendered once per app: the bytes
/// after the owner name, ready to copy behind a `0xC00C` owner pointer, with
/// the TTL patched per query. A class: tables share it by reference.
///
/// The bytes live in one allocation owned by the object, so the query path
/// reads them through ``View``, a plain value of pointers and counts, with
/// no reference counting per query.
public final class WebHeadAnswer: @unchecked Sendable, Equatable {
    /// Offset of the TTL inside a record rendered after its owner pointer:
    /// type (2) + class (2).
    public static let ttlOffset = 4

    /// The records as pointers into the answer's storage; valid while the
    /// answer lives (a snapshot holding it is enough).
    public struct View {
        /// CNAME record (type, class, TTL, RDLENGTH, target), or empty.
        public let cname: UnsafeRawBufferPointer
        /// A records, each `C0 0C` + type, class, TTL, RDLENGTH, 4 bytes.
        public let addressRecords: UnsafeRawBufferPointer
        public let addressCount: Int
        /// AAAA records, each `C0 0C` + type, class, TTL, RDLENGTH, 16 bytes.
        public let address6Records: UnsafeRawBufferPointer
        public let address6Count: Int
    }

    /// Immutable after init: written once, then only read.
    private let storage: UnsafeMutableRawBufferPointer
    public let view: View

    public var cname: [UInt8] { Array(view.cname) }
    public var addressRecords: [UInt8] { Array(view.addressRecords) }
    public var addressCount: Int { view.addressCount }
    public var address6Records: [UInt8] { Array(view.address6Records) }
    public var address6Count: Int { view.address6Count }

    /// Owner pointer + type + class + TTL + RDLENGTH.
    static let recordOverhead = 2 + 2 + 2 + 4 + 2

    public static func hostname(_ target: DomainName) -> WebHeadAnswer {
        var bytes: [UInt8] = [0, 5, 0, 1, 0, 0, 0, 0]
        bytes += [UInt8(target.wire.count >> 8), UInt8(target.wire.count & 0xFF)]
        bytes += target.wire
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
        storage.copyBytes(from: bytes)
        let base = UnsafeRawBufferPointer(storage)
        let none = UnsafeRawBufferPointer(rebasing: base[bytes.count...])
        return WebHeadAnswer(storage: storage, view: View(cname: base, addressRecords: none, addressCount: 0,
                                                          address6Records: none, address6Count: 0))
    }

    /// Addresses as 4- or 16-byte network-order values (others are skipped).
    public static func addresses(_ addresses: [[UInt8]]) -> WebHeadAnswer {
        let usable = addresses.filter { $0.count == 4 || $0.count == 16 }.prefix(Int(UInt8.max))
        var packed: [UInt8] = [UInt8(usable.count)]
        for address in usable { packed += [UInt8(address.count)] + address }
        return Self.addresses(packed: packed[...])!
    }

    /// From a packed address list (a count, then per address its length, 4
    /// or 16, and its bytes), written straight into the answer's storage:
    /// the fast start renders a million of these. Nil if the list is malformed.
    public static func addresses(packed raw: ArraySlice<UInt8>) -> WebHeadAnswer? {
        guard let count = raw.first else { return nil }
        var v4Count = 0
        var v6Count = 0
        var offset = raw.startIndex + 1
        for _ in 0..<count {
            guard offset < raw.endIndex else { return nil }
            let length = Int(raw[offset])
            guard length == 4 || length == 16, length < raw.endIndex - offset else { return nil }
            if length == 4 { v4Count += 1 } else { v6Count += 1 }
            offset += 1 + length
        }
        guard offset == raw.endIndex else { return nil }
        let v4Bytes = v4Count * (recordOverhead + 4)
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, v4Bytes + v6Count * (recordOverhead + 16)),
                                                             alignment: 8)
        var v4At = 0
        var v6At = v4Bytes
        offset = raw.startIndex + 1
        for _ in 0..<count {
            let length = Int(raw[offset])
            let header: [UInt8] = length == 4 ? [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4]
                : [0xC0, 0x0C, 0, 28, 0, 1, 0, 0, 0, 0, 0, 16]
            let at = length == 4 ? v4At : v6At
            UnsafeMutableRawBufferPointer(rebasing: storage[at..<(at + recordOverhead)]).copyBytes(from: header)
            UnsafeMutableRawBufferPointer(rebasing: storage[(at + recordOverhead)..<(at + recordOverhead + length)])
                .copyBytes(from: raw[(offset + 1)..<(offset + 1 + length)])
            if length == 4 { v4At += recordOverhead + 4 } else { v6At += recordOverhead + 16 }
            offset += 1 + length
        }
        let base = UnsafeRawBufferPointer(storage)
        return WebHeadAnswer(storage: storage, view: View(
            cname: UnsafeRawBufferPointer(rebasing: base[0..<0]),
            addressRecords: UnsafeRawBufferPointer(rebasing: base[0..<v4Bytes]), addressCount: v4Count,
            address6Records: UnsafeRawBufferPointer(rebasing: base[v4Bytes..<v6At]), address6Count: v6Count))
    }

    /// An answer of its own holding a copy of `view`'s records.
    public convenience init(copying view: View) {
        let parts = [view.cname, view.addressRecords, view.address6Records]
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, parts.reduce(0) { $0 + $1.count }),
                                                             alignment: 8)
        var starts: [Int] = []
        var at = 0
        for part in parts {
            starts.append(at)
            UnsafeMutableRawBufferPointer(rebasing: storage[at..<(at + part.count)]).copyMemory(from: part)
            at += part.count
        }
        let base = UnsafeRawBufferPointer(storage)
        func slice(_ index: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: base[starts[index]..<(starts[index] + parts[index].count)])
        }
        self.init(storage: storage, view: View(cname: slice(0), addressRecords: slice(1), addressCount: view.addressCount,
                                               address6Records: slice(2), address6Count: view.address6Count))
    }

    private init(storage: UnsafeMutableRawBufferPointer, view: View) {
        self.storage = storage
        self.view = view
    }

    public static func == (lhs: WebHeadAnswer, rhs: WebHeadAnswer) -> Bool {
        lhs === rhs || (lhs.cname == rhs.cname && lhs.addressRecords == rhs.addressRecords
            && lhs.address6Records == rhs.address6Records)
    }

    deinit { storage.deallocate() }
}

extension WebHeadAnswer {
    /// The answer's records as (type, RDATA) pairs, for zone transfers.
    public var rdatas: [(type: RecordType, rdata: [UInt8])] {
        if !cname.isEmpty { return [(.cname, Array(cname[10...]))] }
        var result: [(RecordType, [UInt8])] = []
        for index in 0..<addressCount {
            let start = index * 16 + 12
            result.append((.a, Array(addressRecords[start..<(start + 4)])))
        }
        for index in 0..<address6Count {
            let start = index * 28 + 12
            result.append((.aaaa, Array(address6Records[start..<(start + 16)])))
        }
        return result
    }
}
