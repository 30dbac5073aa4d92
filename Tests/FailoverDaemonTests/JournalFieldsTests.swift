import Logging
import Testing

@testable import FailoverDaemon

@Suite struct JournalFieldsTests {
    @Test func encodesMessagePriorityCodeLocationAndMetadata() {
        let fields = JournalFields.encode(
            level: .warning, message: "switch done\nsecond line", metadata: ["group": "414-262-781", "app": "shop",
                                                                             "serial": "7"],
            source: "FailoverDaemon", file: "Daemon.swift", function: "run()", line: 42)
        #expect(fields == [
            "MESSAGE=switch done\nsecond line", "PRIORITY=4", "CODE_FILE=Daemon.swift", "CODE_LINE=42",
            "CODE_FUNC=run()", "SYSLOG_IDENTIFIER=failoverd", "APP=shop", "GROUP=414-262-781", "SERIAL=7",
        ])
    }

    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func mapsLevelsToSyslogPriorities(level: Logger.Level, priority: Int) {
        #expect(JournalFields.priority(level) == priority)
    }

    @Test func sanitisesFieldNames() {
        #expect(JournalFields.fieldName("group") == "GROUP")
        #expect(JournalFields.fieldName("peer.uid") == "PEER_UID")
        #expect(JournalFields.fieldName("_private") == "PRIVATE")
        #expect(JournalFields.fieldName("9lives") == nil)
        #expect(JournalFields.fieldName("ünïcode-key") == "NCODE_KEY")
        #expect(JournalFields.fieldName(String(repeating: "a", count: 100))?.count == 64)
    }

    @Test func metadataCannotOverrideReservedFields() {
        let fields = JournalFields.encode(level: .info, message: "m", metadata: ["message": "forged", "priority": "0"],
                                          source: "", file: "f", function: "g", line: 1)
        #expect(fields.filter { $0.hasPrefix("MESSAGE=") } == ["MESSAGE=m"])
        #expect(fields.filter { $0.hasPrefix("PRIORITY=") } == ["PRIORITY=6"])
    }
}
