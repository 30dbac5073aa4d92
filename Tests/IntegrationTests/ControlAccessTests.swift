import FailoverControl
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// The control socket's two gates: file mode, then SO_PEERCRED against allow-users / allow-groups.
    @Suite struct ControlAccessTests {
        /// Runs failoverctl as `nobody` (via setpriv) against the daemon's socket.
        static func failoverctlAsNobody(_ daemon: DaemonProcess, _ arguments: [String]) throws -> RunResult {
            let setpriv = try locateTool("setpriv")
            // Copy failoverctl into the test folder so nobody can reach it whatever the build folder's modes.
            let copy = daemon.folder.path + "/failoverctl"
            if !FileManager.default.fileExists(atPath: copy) {
                try FileManager.default.copyItem(atPath: try DaemonProcess.failoverctlPath(), toPath: copy)
                chmod(copy, 0o755)
            }
            return try runTool(setpriv, ["--reuid=nobody", "--regid=nogroup", "--clear-groups", copy]
                                        + arguments + ["--socket", daemon.controlSocket, "--timeout", "5"])
        }

        static func openUp(_ daemon: DaemonProcess) {
            chmod(daemon.folder.path, 0o755)
            chmod(daemon.controlSocket, 0o666)
        }

        @Test("nobody is refused with unauthorized by SO_PEERCRED, then allowed once in control.allow-users")
        func peerCredentials() throws {
            try #require(getuid() == 0, "this test needs root to run a client as nobody")
            try #require(getpwnam("nobody") != nil && getgrnam("nogroup") != nil, "needs user nobody and group nogroup")

            let refusing = try DaemonProcess(zone: ControlZone.text, control: ["allow-users: [root]", "allow-groups: []"],
                                             label: "ctl-acl")
            defer { refusing.stop() }
            var info = stat()
            #expect(stat(refusing.controlSocket, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o660, "socket mode \(String(info.st_mode & 0o777, radix: 8))")

            // Gate 1: mode 0660 keeps nobody out at connect(2) (EACCES, exit 3).
            chmod(refusing.folder.path, 0o755)
            let denied = try Self.failoverctlAsNobody(refusing, ["hello", "--json"])
            #expect(denied.status == 3, "exit \(denied.status)\n\(denied.stdout)\(denied.stderr)")

            // Gate 2: with the file opened up, the peer check refuses nobody.
            Self.openUp(refusing)
            let refused = try Self.failoverctlAsNobody(refusing, ["hello", "--json"])
            #expect(refused.status == 1, "exit \(refused.status)\n\(refused.stdout)\(refused.stderr)")
            #expect(refused.stderr.contains("unauthorized"), "stderr: \(refused.stderr)")
            #expect(refused.stderr.contains("65534") || refused.stderr.contains("nobody"), "the message names the uid: \(refused.stderr)")
            // The same for a mutation: nothing changes.
            let mutation = try Self.failoverctlAsNobody(refusing, ["app", "put", "intruder", "--name", "X", "--hostname", "evil.example.net"])
            #expect(mutation.status == 1 && mutation.stderr.contains("unauthorized"), "exit \(mutation.status)\n\(mutation.stderr)")
            let apps = try refusing.control().call(op: .appList)["apps"]?.arrayValue
            #expect(apps?.isEmpty == true, "a refused peer changed state: \(String(describing: apps))")
            // root (the daemon's own uid) is allowed.
            #expect(try refusing.control().call(op: .hello)["protocol"] == 1)
            refusing.stop()

            // allow-users: [nobody] lets it in.
            let allowing = try DaemonProcess(zone: ControlZone.text, control: ["allow-users: [nobody]", "allow-groups: []"],
                                             label: "ctl-acl-ok")
            defer { allowing.stop() }
            Self.openUp(allowing)
            let allowed = try Self.failoverctlAsNobody(allowing, ["hello", "--json"])
            #expect(allowed.status == 0, "exit \(allowed.status)\n\(allowed.stdout)\(allowed.stderr)")
            let hello = try? JSONValue.parse(allowed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(hello?["protocol"] == 1, "stdout: \(allowed.stdout)")
            let put = try Self.failoverctlAsNobody(allowing, ["app", "put", "app1", "--name", "Shop", "--hostname", "lb1.example.net", "--json"])
            #expect(put.status == 0, "exit \(put.status)\n\(put.stderr)")
            #expect(try allowing.control().call(op: .appGet, args: ["app": "app1"])["web_head"]?["hostname"] == "lb1.example.net")

            // allow-groups: [nogroup] (nobody's primary group) lets it in too.
            let byGroup = try DaemonProcess(zone: ControlZone.text, control: ["allow-users: []", "allow-groups: [nogroup]"],
                                            label: "ctl-acl-grp")
            defer { byGroup.stop() }
            Self.openUp(byGroup)
            let groupAllowed = try Self.failoverctlAsNobody(byGroup, ["hello", "--json"])
            #expect(groupAllowed.status == 0, "exit \(groupAllowed.status)\n\(groupAllowed.stdout)\(groupAllowed.stderr)")
        }

        /// Holds `count` connections to the control socket as `nobody` (perl, Essential on Debian), each
        /// having read its one line; `release` lets them go. Returns how many lines said unauthorized.
        static func holdConnectionsAsNobody(_ daemon: DaemonProcess, count: Int,
                                            while body: () throws -> Void) throws -> Int {
            let script = #"""
                use IO::Socket::UNIX; $| = 1; alarm 30;
                my ($path, $count) = @ARGV; my @held;
                for (1 .. $count) {
                    push @held, IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path) or die "connect: $!";
                }
                my $refused = 0;
                for my $s (@held) { my $line = <$s>; $refused++ if defined $line && $line =~ /unauthorized/; }
                print "refused $refused\n";
                <STDIN>;
                """#
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try locateTool("setpriv"))
            process.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", try locateTool("perl"),
                                 "-e", script, daemon.controlSocket, String(count)]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            defer {
                try? input.fileHandleForWriting.close()
                process.waitUntilExit()
            }
            var text = ""
            while !text.contains("\n") {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            let refused = try #require(text.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) },
                                       "the held connections: \(text)")
            try body()
            return refused
        }

        @Test("Refused peers holding more than control.max-connections connections do not lock root out")
        func refusedPeersHoldNoSlots() throws {
            try #require(getuid() == 0, "this test needs root to run a client as nobody")
            try #require(getpwnam("nobody") != nil && getgrnam("nogroup") != nil, "needs user nobody and group nogroup")
            let daemon = try DaemonProcess(zone: ControlZone.text,
                                           control: ["allow-users: [root]", "allow-groups: []", "max-connections: 4"],
                                           label: "ctl-acl-slots")
            defer { daemon.stop() }
            Self.openUp(daemon)
            let refused = try Self.holdConnectionsAsNobody(daemon, count: 10) {
                let hello = try daemon.control().call(op: .hello)
                #expect(hello["protocol"] == 1)
            }
            #expect(refused == 10, "every held connection got the unauthorized line")
        }
    }
}
