/// The zone the dig and differential tests serve, from failoverd and from NSD.
/// It holds one of each feature the engine distinguishes.
enum TestZone {
    static let origin = "example.test"

    /// Address records of `big` (100 A: ~1.6 kB, more than any UDP size we
    /// serve) and `mid` (40 A: ~700 B, over 512 but under 1232).
    static let bigCount = 100
    static let midCount = 40

    static let text: String = {
        var lines = [
            "$ORIGIN example.test.",
            "$TTL 3600",
            "@        3600 IN SOA ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300",
            "@             IN NS    ns1.example.test.",
            "@             IN NS    ns2.example.test.",
            "@             IN A     192.0.2.1",
            "@             IN AAAA  2001:db8::1",
            "@             IN MX    10 mail.example.test.",
            "@             IN MX    20 mx.outside.invalid.",
            "@             IN TXT   \"v=spf1 -all\"",
            "@             IN CAA   0 issue \"letsencrypt.org\"",
            "ns1           IN A     192.0.2.53",
            "ns1           IN AAAA  2001:db8::53",
            "ns2      7200 IN A     192.0.2.54",
            "mail          IN A     192.0.2.25",
            "www        60 IN A     192.0.2.80",
            "www        60 IN AAAA  2001:db8::80",
            "MiXeD         IN A     192.0.2.77",
            "txt           IN TXT   \"hello world\" \"second string\"",
            "ptr           IN PTR   www.example.test.",
            "_sip._tcp     IN SRV   10 60 5060 sipserver.example.test.",
            "sipserver     IN A     192.0.2.60",
            "unk           IN TYPE65000 \\# 4 0A000001",
            "mxself        IN MX    10 mxself.example.test.",
            "mxself        IN A     192.0.2.9",
            // Delegation with glue below the cut and one out-of-zone server.
            "sub           IN NS    ns1.sub.example.test.",
            "sub           IN NS    ns.outside.invalid.",
            "ns1.sub       IN A     192.0.2.200",
            "ns1.sub       IN AAAA  2001:db8::200",
            // Delegation to an in-zone server above the cut (not glue).
            "sub2          IN NS    ns1.example.test.",
            // Wildcards: plain, and a wildcard CNAME.
            "*.wild        IN A     192.0.2.99",
            "*.wild        IN TXT   \"wildcard\"",
            "exists.wild   IN A     192.0.2.98",
            "*.cw          IN CNAME www.example.test.",
            // CNAME chains.
            "alias         IN CNAME www.example.test.",
            "alias2        IN CNAME alias.example.test.",
            "towild        IN CNAME foo.wild.example.test.",
            "tonx          IN CNAME nothere.example.test.",
            "loop-a        IN CNAME loop-b.example.test.",
            "loop-b        IN CNAME loop-a.example.test.",
            "out           IN CNAME www.example.org.",
            "todeleg       IN CNAME host.sub.example.test.",
            "c1            IN CNAME c2.example.test.",
            "c2            IN CNAME c3.example.test.",
            "c3            IN CNAME c4.example.test.",
            "c4            IN CNAME c5.example.test.",
            "c5            IN CNAME www.example.test.",
            // Empty non-terminals ent and b.ent.
            "a.b.ent       IN A     192.0.2.7",
            // A TXT RRset of ~1.5 kB.
        ]
        for index in 0..<6 {
            let chunk = String(repeating: Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(index))), count: 240)
            lines.append("bigtxt        IN TXT   \"\(chunk)\"")
        }
        for index in 0..<bigCount { lines.append("big           IN A     10.0.\(index / 250).\(index % 250 + 1)") }
        for index in 0..<midCount { lines.append("mid           IN A     10.1.0.\(index + 1)") }
        return lines.joined(separator: "\n") + "\n"
    }()
}
