import Testing

/// The zone target leaves out input that can reach libldns's IPSECKEY leak,
/// and only that: the same spellings libldns reads as type 45.
@Suite struct ZoneCheckTests {
    @Test(arguments: [
        "x IPSECKEY 10 1 2 1.2 AAAA BB", "x ipSecKey 1", "x TYPE45 \\# 0", "x type+045 1", "x TYPE -65491 1",
        "x TYPE65581 1",
    ])
    func skipsWhatLibldnsReadsAsIPSECKEY(text: String) {
        #expect(ZoneCheck.reachesLibldnsIPSECKEYLeak(Array(text.utf8)))
    }

    @Test(arguments: ["x TXT \"type\"", "x TYPE65000 \\# 0", "x TYPE4 1", "x TYPE450 1", "x A 192.0.2.45", "typed 45"])
    func keepsEverythingElse(text: String) {
        #expect(!ZoneCheck.reachesLibldnsIPSECKEYLeak(Array(text.utf8)))
    }
}
