@testable import FailoverDaemon
import Foundation
import Testing

/// The control access rule against the machine's real user and group databases.
@Suite struct AccessPolicyTests {
    static let root = PeerCredentials(pid: 1, uid: 0, gid: 0)
    static let nobody = PeerCredentials(pid: 1, uid: 65534, gid: 65534)
    /// A uid no database on a test machine has.
    static let stranger = PeerCredentials(pid: 1, uid: 4_242_424, gid: 4_242_424)
    /// The daemon's uid in these tests: neither root nor nobody.
    static let daemonUID: UInt32 = 4_242_000

    static func policy(users: [String] = [], groups: [String] = []) -> AccessPolicy {
        AccessPolicy(allowUsers: users, allowGroups: groups, ownUID: daemonUID)
    }

    static var hasNobody: Bool { AccountDatabase.user(uid: 65534)?.name == "nobody" }

    @Test("root and nobody are found by uid, whatever the starting buffer size")
    func lookups() {
        #expect(AccountDatabase.user(uid: 0) == .init(name: "root", uid: 0, gid: 0))
        #expect(AccountDatabase.user(uid: 0, bufferSize: 1) == .init(name: "root", uid: 0, gid: 0))
        #expect(AccountDatabase.user(uid: Self.stranger.uid) == nil)
        #expect(AccountDatabase.groupID(named: "root") == 0)
        #expect(AccountDatabase.groupID(named: "root", bufferSize: 1) == 0)
        #expect(AccountDatabase.groupID(named: "no-such-group-here") == nil)
        #expect(AccountDatabase.groupIDs(of: .init(name: "root", uid: 0, gid: 0)).contains(0))
    }

    @Test("The daemon's own uid is allowed with empty lists; others are refused, named")
    func ownUID() throws {
        #expect(Self.policy().refusal(for: PeerCredentials(pid: 1, uid: Self.daemonUID, gid: 1)) == nil)
        let refusal = try #require(Self.policy().refusal(for: Self.root))
        #expect(refusal.contains("uid 0 (root)"), "\(refusal)")
        #expect(Self.policy().refusal(for: nil) != nil)
        let unknown = try #require(Self.policy(users: ["root"], groups: ["root"]).refusal(for: Self.stranger))
        #expect(unknown.contains("(unknown)"), "\(unknown)")
    }

    @Test("allow-users names the user", .enabled(if: hasNobody))
    func byUser() {
        #expect(Self.policy(users: ["root"]).refusal(for: Self.root) == nil)
        #expect(Self.policy(users: ["nobody"]).refusal(for: Self.nobody) == nil)
        #expect(Self.policy(users: ["root"]).refusal(for: Self.nobody) != nil)
    }

    @Test("allow-groups matches the peer's primary group", .enabled(if: hasNobody && AccountDatabase.groupID(named: "nogroup") == 65534))
    func byPrimaryGroup() {
        #expect(Self.policy(groups: ["nogroup"]).refusal(for: Self.nobody) == nil)
        #expect(Self.policy(groups: ["root"]).refusal(for: Self.root) == nil)
        #expect(Self.policy(groups: ["root", "no-such-group-here"]).refusal(for: Self.nobody) != nil)
        #expect(Self.policy(groups: ["nogroup"]).refusal(for: Self.root) != nil)
    }

    /// A member listed in /etc/group whose primary group is another one.
    struct Supplementary {
        var group: String
        var user: AccountDatabase.User
    }

    static let supplementary: Supplementary? = {
        guard let groups = try? String(contentsOfFile: "/etc/group", encoding: .utf8),
            let users = try? String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        else { return nil }
        var byName: [String: AccountDatabase.User] = [:]
        for line in users.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { continue }
            byName[String(fields[0])] = .init(name: String(fields[0]), uid: uid, gid: gid)
        }
        for line in groups.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, let gid = UInt32(fields[2]) else { continue }
            for member in fields[3].split(separator: ",") {
                if let user = byName[String(member)], user.gid != gid, user.uid != 0 {
                    return Supplementary(group: String(fields[0]), user: user)
                }
            }
        }
        return nil
    }()

    @Test("allow-groups matches a supplementary group of the peer's user", .enabled(if: supplementary != nil))
    func bySupplementaryGroup() throws {
        let found = try #require(Self.supplementary)
        let peer = PeerCredentials(pid: 1, uid: found.user.uid, gid: found.user.gid)
        #expect(Self.policy(groups: [found.group]).refusal(for: peer) == nil, "\(found.user.name) in \(found.group)")
        #expect(Self.policy(groups: ["no-such-group-here"]).refusal(for: peer) != nil)
        // The same gid from a uid the database does not know has no supplementary groups.
        let unknown = PeerCredentials(pid: 1, uid: Self.stranger.uid, gid: found.user.gid)
        #expect(Self.policy(groups: [found.group]).refusal(for: unknown) != nil)
    }

    @Test("Many checks at once each get their own answer", .enabled(if: hasNobody))
    func concurrentChecks() async {
        let policy = Self.policy(users: ["nobody"])
        let peers = [Self.root, Self.nobody, Self.stranger]
        let wrong = await withTaskGroup(of: String?.self) { group in
            for index in 0..<600 {
                group.addTask {
                    let peer = peers[index % peers.count]
                    let refusal = await policy.check(peer)
                    switch peer {
                    case Self.nobody: return refusal == nil ? nil : "nobody refused: \(refusal!)"
                    case Self.root: return refusal?.contains("uid 0 (root)") == true ? nil : "root: \(String(describing: refusal))"
                    default: return refusal?.contains("(unknown)") == true ? nil : "stranger: \(String(describing: refusal))"
                    }
                }
            }
            var wrong: [String] = []
            for await result in group { if let result { wrong.append(result) } }
            return wrong
        }
        #expect(wrong.count == 0, "wrong answers, e.g. \(wrong.prefix(3))")
    }
}
