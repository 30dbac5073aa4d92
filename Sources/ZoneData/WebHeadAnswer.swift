import DNSWire

/// The answer for one web head, rendered once per app as the RDATA of its
/// records (a CNAME target, or the addresses); the query path writes each
/// record's owner pointer, type, class, TTL and length around it, so a
/// million answers do not store those 12 bytes a record. A class: tables
/// share it by reference.
///
/// The bytes live in one allocation owned by the object, so the query path
/// reads them through ``View``, a plain value of pointers and counts, with
/// no reference counting per query.
// Unchecked: the storage is written in init only; afterwards it is read-only bytes behind `let` pointers.
public final class WebHeadAnswer: @unchecked Sendable, Equatable {
    /// The RDATA as pointers into the answer's storage; valid while the
    /// answer lives (a snapshot holding it is enough).
    public struct View {
        /// The CNAME target in wire form, or empty.
        public let cname: UnsafeRawBufferPointer
        /// The A records' RDATA, 4 bytes each.
        public let addressRecords: UnsafeRawBufferPointer
        public let addressCount: Int
        /// The AAAA records' RDATA, 16 bytes each.
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

    /// What the query path writes around each record's RDATA: owner pointer + type + class + TTL + RDLENGTH.
    public static let recordOverhead = 2 + 2 + 2 + 4 + 2

    public static func hostname(_ target: DomainName) -> WebHeadAnswer {
        let bytes = target.wire
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
        let v4Bytes = v4Count * 4
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, v4Bytes + v6Count * 16), alignment: 8)
        var v4At = 0
        var v6At = v4Bytes
        offset = raw.startIndex + 1
        for _ in 0..<count {
            let length = Int(raw[offset])
            let at = length == 4 ? v4At : v6At
            UnsafeMutableRawBufferPointer(rebasing: storage[at..<(at + length)])
                .copyBytes(from: raw[(offset + 1)..<(offset + 1 + length)])
            if length == 4 { v4At += 4 } else { v6At += 16 }
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
        if !cname.isEmpty { return [(.cname, cname)] }
        var result: [(RecordType, [UInt8])] = []
        for index in 0..<addressCount {
            result.append((.a, Array(addressRecords[(index * 4)..<(index * 4 + 4)])))
        }
        for index in 0..<address6Count {
            result.append((.aaaa, Array(address6Records[(index * 16)..<(index * 16 + 16)])))
        }
        return result
    }
}
