import DNSWire

/// The RDATA of an RRSIG record (RFC 4034 3), and the signing and checking
/// of one RRset.
public struct RRSIGRecord: Hashable, Sendable {
    public var typeCovered: RecordType
    public var algorithm: DNSSECAlgorithm
    /// Labels of the owner name, not counting the root or a leading `*` (RFC 4034 3.1.3).
    public var labels: UInt8
    /// The TTL the RRset is signed with; a validator caps the TTL it caches at this.
    public var originalTTL: UInt32
    /// Validity window, seconds since the epoch modulo 2^32 (RFC 4034 3.1.5).
    public var expiration: UInt32
    public var inception: UInt32
    public var keyTag: UInt16
    public var signer: DomainName
    public var signature: [UInt8]

    /// Bytes before the signer's name: type, algorithm, labels, TTL, expiration, inception, key tag.
    static let fixedSize = 18

    /// The RDATA, the signer's name uncompressed and lowercase (RFC 4034 3.1.7, RFC 6840 5.1).
    public var rdata: [UInt8] { rdataBeforeSignature + signature }

    /// The RDATA up to the signature: the first part of what is signed (RFC 4034 3.1.8.1).
    var rdataBeforeSignature: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.fixedSize + signer.wire.count)
        append16(typeCovered.rawValue, to: &bytes)
        bytes.append(algorithm.rawValue)
        bytes.append(labels)
        append32(originalTTL, to: &bytes)
        append32(expiration, to: &bytes)
        append32(inception, to: &bytes)
        append16(keyTag, to: &bytes)
        bytes += signer.lowercased.wire
        return bytes
    }

    /// Reads RRSIG RDATA; nil when malformed or of an algorithm failoverd does not sign with.
    public init?(rdata: [UInt8]) {
        guard rdata.count > Self.fixedSize, let algorithm = DNSSECAlgorithm(rawValue: rdata[2]) else { return nil }
        var end = Self.fixedSize
        while true {
            guard end < rdata.count, Int(rdata[end]) <= DomainName.maxLabelLength else { return nil }
            if rdata[end] == 0 { end += 1; break }
            end += 1 + Int(rdata[end])
        }
        guard end - Self.fixedSize <= DomainName.maxWireLength,
              let signer = DomainName(wire: Array(rdata[Self.fixedSize..<end]))
        else { return nil }
        func u32(_ at: Int) -> UInt32 { rdata[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        typeCovered = RecordType(UInt16(rdata[0]) << 8 | UInt16(rdata[1]))
        self.algorithm = algorithm
        labels = rdata[3]
        originalTTL = u32(4)
        expiration = u32(8)
        inception = u32(12)
        keyTag = UInt16(rdata[16]) << 8 | UInt16(rdata[17])
        self.signer = signer
        signature = Array(rdata[end...])
    }

    /// Signs the RRset of `owner` and `type` (its RDATAs in any order; duplicates count once) with `key`,
    /// whose DNSKEY sits at `signer`, valid from `inception` to `expiration`.
    public static func sign(
        owner: DomainName, type: RecordType, recordClass: RecordClass = .internet, ttl: UInt32, rdatas: [[UInt8]],
        key: SigningKey, keyTag: UInt16, signer: DomainName, inception: UInt32, expiration: UInt32
    ) throws(DNSSECError) -> RRSIGRecord {
        var record = RRSIGRecord(
            typeCovered: type, algorithm: key.algorithm, labels: labelCount(of: owner), originalTTL: ttl,
            expiration: expiration, inception: inception, keyTag: keyTag, signer: signer.lowercased, signature: [])
        record.signature = try key.sign(record.signedData(owner: owner, recordClass: recordClass, rdatas: rdatas))
        return record
    }

    public init(typeCovered: RecordType, algorithm: DNSSECAlgorithm, labels: UInt8, originalTTL: UInt32,
                expiration: UInt32, inception: UInt32, keyTag: UInt16, signer: DomainName, signature: [UInt8]) {
        self.typeCovered = typeCovered
        self.algorithm = algorithm
        self.labels = labels
        self.originalTTL = originalTTL
        self.expiration = expiration
        self.inception = inception
        self.keyTag = keyTag
        self.signer = signer
        self.signature = signature
    }

    /// Whether this signature covers the RRset of `owner` under `key` (the time window is the caller's).
    public func verifies(owner: DomainName, recordClass: RecordClass = .internet, rdatas: [[UInt8]],
                         key: DNSKEYRecord) -> Bool {
        key.algorithm == algorithm && key.keyTag == keyTag
            && SignatureCheck.isValid(signature, of: signedData(owner: owner, recordClass: recordClass, rdatas: rdatas),
                                      publicKey: key.publicKey, algorithm: algorithm)
    }

    /// What is signed (RFC 4034 3.1.8.1): this RDATA without the signature, then each RR of the set in
    /// canonical form and order (RFC 4034 6.2, 6.3), every one with the original TTL.
    public func signedData(owner: DomainName, recordClass: RecordClass = .internet, rdatas: [[UInt8]]) -> [UInt8] {
        var data = rdataBeforeSignature
        let ownerWire = Self.signedOwner(owner, labels: labels)
        let canonical = Set(rdatas.map { CanonicalRData.lowercased($0, type: typeCovered) })
            .sorted { $0.lexicographicallyPrecedes($1) }
        for rdata in canonical {
            data += ownerWire
            append16(typeCovered.rawValue, to: &data)
            append16(recordClass.rawValue, to: &data)
            append32(originalTTL, to: &data)
            append16(UInt16(rdata.count), to: &data)
            data += rdata
        }
        return data
    }

    /// The Labels field for `owner`: its labels, less a leading `*` (RFC 4034 3.1.3).
    public static func labelCount(of owner: DomainName) -> UInt8 {
        let labels = owner.labelCount
        let wildcard = owner.wire.count > 2 && owner.wire[0] == 1 && owner.wire[1] == UInt8(ascii: "*")
        return UInt8(wildcard ? labels - 1 : labels)
    }

    /// The owner as signed: lowercase; a name with more labels than `labels` (an answer synthesized from a
    /// wildcard) as `*.` and its rightmost `labels` labels (RFC 4035 5.3.2).
    static func signedOwner(_ owner: DomainName, labels: UInt8) -> [UInt8] {
        var name = owner.lowercased
        guard name.labelCount > Int(labels) else { return name.wire }
        while name.labelCount > Int(labels) { name = name.parent }
        return [1, UInt8(ascii: "*")] + name.wire
    }
}

private func append16(_ value: UInt16, to bytes: inout [UInt8]) {
    bytes.append(UInt8(value >> 8))
    bytes.append(UInt8(value & 0xFF))
}

private func append32(_ value: UInt32, to bytes: inout [UInt8]) {
    for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
}
