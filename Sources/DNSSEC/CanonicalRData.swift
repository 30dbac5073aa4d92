import DNSWire

/// RDATA in canonical form for signing (RFC 4034 6.2, item 3, as amended by
/// RFC 6840 5.1): the domain names inside it lowercased, for the types whose
/// RDATA holds names; every other byte as it is.
public enum CanonicalRData {
    /// Where the names are: fixed bytes, then this many names, then the rest as it is. NAPTR (three
    /// character-strings before its name) is read on its own; SIG, NXT and A6 are obsolete and left alone.
    private static func layout(_ type: RecordType) -> (leading: Int, names: Int)? {
        switch type.rawValue {
        case 2, 3, 4, 5, 7, 8, 9, 12, 39: (0, 1)    // NS MD MF CNAME MB MG MR PTR DNAME
        case 6, 14, 17: (0, 2)                      // SOA MINFO RP
        case 15, 18, 21, 36: (2, 1)                 // MX AFSDB RT KX
        case 26: (2, 2)                             // PX
        case 33: (6, 1)                             // SRV
        default: nil
        }
    }

    /// `rdata` of `type` with its names lowercased; as it is when it holds no names or does not parse.
    public static func lowercased(_ rdata: [UInt8], type: RecordType) -> [UInt8] {
        var leading: Int
        let names: Int
        if type.rawValue == 35 {  // NAPTR: order, preference, flags, services, regexp, then the replacement
            leading = 4
            for _ in 0..<3 {
                guard leading < rdata.count else { return rdata }
                leading += 1 + Int(rdata[leading])
            }
            names = 1
        } else if let layout = layout(type) {
            (leading, names) = layout
        } else {
            return rdata
        }
        var result = rdata
        var offset = leading
        for _ in 0..<names {
            while true {
                guard offset < result.count else { return rdata }
                let length = Int(result[offset])
                guard length <= DomainName.maxLabelLength, offset + 1 + length <= result.count else { return rdata }
                if length == 0 { offset += 1; break }
                for index in (offset + 1)...(offset + length) { result[index] = asciiLowercase(result[index]) }
                offset += 1 + length
            }
        }
        return result
    }
}
