import DNSWire

/// The apex served when no zone file is configured, so the daemon runs out of
/// the box. Production deployments configure their own file.
public enum DefaultZone {
    public static func text(origin: DomainName) -> String {
        let o = origin.description
        return """
            $TTL 3600
            \(o) IN SOA ns1.\(o) hostmaster.\(o) 1 3600 900 1209600 30
            \(o) IN NS ns1.\(o)
            \(o) IN NS ns2.\(o)
            ns1.\(o) IN A 127.0.0.1
            ns2.\(o) IN AAAA ::1

            """
    }

    public static func load(origin: DomainName) throws(ZoneError) -> StaticZone {
        try ZoneFileLoader.load(text: text(origin: origin), origin: origin)
    }
}
