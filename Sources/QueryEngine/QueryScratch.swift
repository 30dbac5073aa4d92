import DNSWire

/// Per-worker memory the engine reuses for every query, so answering
/// allocates nothing: the lowercased query name, label offsets, a name being
/// chased, and the compression table. Not shared between threads.
public final class QueryScratch {
    /// Room for one name in wire form (255) plus a prepended `*` label.
    static let nameCapacity = 258
    /// Most labels in a name: 255 octets / 2 per one-letter label.
    static let labelCapacity = 128

    let lowercasedName: UnsafeMutableRawBufferPointer
    let chaseOriginal: UnsafeMutableRawBufferPointer
    let wildcardName: UnsafeMutableRawBufferPointer
    var validCookie = false
    var hasReplyCookie = false
    /// Nodes already answered in this response (CNAME loop check).
    let visited: UnsafeMutablePointer<Int>
    static let visitedCapacity = 32
    var visitedCount = 0
    /// Nodes whose addresses are already in the additional section.
    let glued: UnsafeMutablePointer<Int>
    var gluedCount = 0
    let labelOffsets: UnsafeMutablePointer<Int>
    public let compression: CompressionTable
    /// Input of the cookie hash (client cookie, version, reserved, time, address).
    let cookieInput: UnsafeMutableRawBufferPointer
    /// The COOKIE option value for the reply: client cookie + server cookie.
    let replyCookie: UnsafeMutableRawBufferPointer

    public init() {
        lowercasedName = .allocate(byteCount: Self.nameCapacity, alignment: 1)
        chaseOriginal = .allocate(byteCount: Self.nameCapacity, alignment: 1)
        wildcardName = .allocate(byteCount: Self.nameCapacity, alignment: 1)
        visited = .allocate(capacity: Self.visitedCapacity)
        glued = .allocate(capacity: Self.visitedCapacity)
        labelOffsets = .allocate(capacity: Self.labelCapacity)
        compression = CompressionTable()
        cookieInput = .allocate(byteCount: 40, alignment: 8)
        replyCookie = .allocate(byteCount: 24, alignment: 8)
    }

    deinit {
        lowercasedName.deallocate()
        chaseOriginal.deallocate()
        wildcardName.deallocate()
        visited.deallocate()
        glued.deallocate()
        cookieInput.deallocate()
        replyCookie.deallocate()
        labelOffsets.deallocate()
    }
}

extension QueryScratch {
    /// Records a node; false when it was already there (or the list is full).
    @inline(__always)
    func visit(_ node: Int) -> Bool {
        for index in 0..<visitedCount where visited[index] == node { return false }
        guard visitedCount < Self.visitedCapacity else { return false }
        visited[visitedCount] = node
        visitedCount += 1
        return true
    }

    /// Records a node for the additional section; false when already there.
    @inline(__always)
    func glue(_ node: Int) -> Bool {
        for index in 0..<gluedCount where glued[index] == node { return false }
        guard gluedCount < Self.visitedCapacity else { return false }
        glued[gluedCount] = node
        gluedCount += 1
        return true
    }
}
