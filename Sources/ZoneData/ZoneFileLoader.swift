@preconcurrency import CLDNS
import DNSWire

#if canImport(Glibc)
import Glibc
#endif

/// Reads RFC 1035 master files with libldns, one record at a time so that
/// errors name the line.
public enum ZoneFileLoader {
    /// Loads and validates a zone file.
    public static func load(path: String, origin: DomainName) throws(ZoneError) -> StaticZone {
        guard let file = fopen(path, "r") else {
            throw ZoneError(source: path, message: "cannot open zone file: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        let records = try readRecords(file: file, origin: origin, source: path)
        return try StaticZone(origin: origin, records: records, source: path)
    }

    /// Loads a zone held in a string (the built-in default, tests).
    public static func load(text: String, origin: DomainName, source: String = "<built-in zone>") throws(ZoneError)
        -> StaticZone
    {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [UInt8(ascii: "\n")] }
        let result: Result<[ZoneRecord], ZoneError> = bytes.withUnsafeMutableBytes { raw in
            guard let file = fmemopen(raw.baseAddress, raw.count, "r") else {
                return .failure(ZoneError(source: source, message: "cannot read zone text"))
            }
            defer { fclose(file) }
            return Result { () throws(ZoneError) in try readRecords(file: file, origin: origin, source: source) }
        }
        let records = try result.get()
        return try StaticZone(origin: origin, records: records, source: source)
    }

    /// Default TTL when the file sets none ($TTL absent), as BIND and NSD use.
    static let defaultTTL: UInt32 = 3600

    static func readRecords(file: UnsafeMutablePointer<FILE>, origin: DomainName, source: String) throws(ZoneError)
        -> [ZoneRecord]
    {
        var currentOrigin: UnsafeMutablePointer<ldns_rdf>? = ldns_dname_new_frm_str(origin.description)
        var previous: UnsafeMutablePointer<ldns_rdf>? = nil
        var defaultTTL = defaultTTL
        // ldns counts the newlines it has consumed: after reading a record, the record's last line.
        var line: Int32 = 0
        defer {
            if currentOrigin != nil { ldns_rdf_deep_free(currentOrigin) }
            if previous != nil { ldns_rdf_deep_free(previous) }
        }
        guard let buffer = ldns_buffer_new(512) else { throw ZoneError(source: source, message: "out of memory") }
        defer { ldns_buffer_free(buffer) }
        var records: [ZoneRecord] = []
        while feof(file) == 0 {
            var rr: UnsafeMutablePointer<ldns_rr>? = nil
            let status = ldns_rr_new_frm_fp_l(&rr, file, &defaultTTL, &currentOrigin, &previous, &line)
            if status == LDNS_STATUS_SYNTAX_EMPTY || status == LDNS_STATUS_SYNTAX_TTL
                || status == LDNS_STATUS_SYNTAX_ORIGIN
            {
                continue
            }
            if status == LDNS_STATUS_SYNTAX_INCLUDE {
                throw ZoneError(source: source, line: Int(line), message: "$INCLUDE is not supported")
            }
            guard status == LDNS_STATUS_OK, let rr else {
                // ldns reports an empty final line at EOF as a syntax error on some inputs.
                if feof(file) != 0 && status == LDNS_STATUS_SYNTAX_ERR { break }
                let text = ldns_get_errorstr_by_id(status).map { String(cString: $0) } ?? "syntax error"
                throw ZoneError(source: source, line: Int(line), message: text)
            }
            defer { ldns_rr_free(rr) }
            let recordClass = ldns_rr_get_class(rr)
            guard recordClass == LDNS_RR_CLASS_IN else {
                throw ZoneError(source: source, line: Int(line), message: "only class IN is served (found class \(recordClass.rawValue))")
            }
            let owner = ldns_rr_owner(rr)!
            let ownerWire = Array(UnsafeRawBufferPointer(start: ldns_rdf_data(owner), count: ldns_rdf_size(owner)))
            guard let name = DomainName(wire: ownerWire) else {
                throw ZoneError(source: source, line: Int(line), message: "invalid owner name")
            }
            ldns_buffer_clear(buffer)
            guard ldns_rr_rdata2buffer_wire(buffer, rr) == LDNS_STATUS_OK else {
                throw ZoneError(source: source, line: Int(line), message: "cannot encode record data")
            }
            let rdata = Array(UnsafeRawBufferPointer(start: ldns_buffer_begin(buffer), count: ldns_buffer_position(buffer)))
            records.append(ZoneRecord(name: name, type: RecordType(UInt16(truncatingIfNeeded: ldns_rr_get_type(rr).rawValue)),
                                      ttl: ldns_rr_ttl(rr), rdata: rdata, line: Int(line)))
        }
        return records
    }
}
