/// Presentation format of RDATA for logs, tools and test comparisons.
public enum RDataText {
    public static func format(_ rdata: [UInt8], type: RecordType) -> String {
        switch type {
        case .a where rdata.count == 4:
            return rdata.map(String.init).joined(separator: ".")
        case .aaaa where rdata.count == 16:
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(rdata[$0]) << 8 | UInt16(rdata[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        case .ns, .cname, .ptr, .dname, .soa, .mx, .srv:
            guard let layout = RDataLayout.of(type), isWellFormedRData(rdata, type: type) else { break }
            var parts: [String] = []
            var offset = 0
            for chunk in stride(from: 0, to: layout.leadingBytes, by: 2) {
                parts.append(String(UInt16(rdata[chunk]) << 8 | UInt16(rdata[chunk + 1])))
            }
            offset = layout.leadingBytes
            for _ in 0..<layout.nameCount {
                var end = offset
                while rdata[end] != 0 { end += 1 + Int(rdata[end]) }
                parts.append(DomainName(uncheckedWire: Array(rdata[offset...end])).description)
                offset = end + 1
            }
            for chunk in stride(from: offset, to: rdata.count, by: 4) {
                parts.append(String(UInt32(rdata[chunk]) << 24 | UInt32(rdata[chunk + 1]) << 16
                    | UInt32(rdata[chunk + 2]) << 8 | UInt32(rdata[chunk + 3])))
            }
            return parts.joined(separator: " ")
        case .txt:
            var strings: [String] = []
            var offset = 0
            while offset < rdata.count {
                let length = Int(rdata[offset])
                guard offset + 1 + length <= rdata.count else { break }
                let text = String(decoding: rdata[(offset + 1)..<(offset + 1 + length)], as: UTF8.self)
                strings.append("\"\(text)\"")
                offset += 1 + length
            }
            return strings.joined(separator: " ")
        default:
            break
        }
        return "\\# \(rdata.count) " + rdata.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
