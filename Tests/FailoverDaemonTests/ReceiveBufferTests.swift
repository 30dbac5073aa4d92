import CNetShim
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `udp.receive-buffer`: the shim asks the kernel for the buffer and reports what it granted,
/// which is the asked size (with CAP_NET_ADMIN, or within net.core.rmem_max) or the cap.
@Suite struct ReceiveBufferTests {
    func boundSocket() throws -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let fd = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                fo_bind_socket($0, socklen_t(MemoryLayout<sockaddr_in>.size), Int32(SOCK_DGRAM.rawValue), 1)
            }
        }
        try #require(fd >= 0, "bind failed: \(fd)")
        return fd
    }

    @Test func grantsTheAskedSizeOrTheSystemCap() throws {
        let fd = try boundSocket()
        defer { close(fd) }
        var before: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &before, &length) == 0)
        let asked = Int32(4 << 20)
        let size = fo_set_receive_buffer(fd, asked)
        try #require(size > 0, "fo_set_receive_buffer: \(size)")
        let cap = Int32(try String(contentsOfFile: "/proc/sys/net/core/rmem_max", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        // The kernel reports twice the granted bytes (its bookkeeping counts against the buffer).
        let granted = size / 2
        #expect(granted == asked || granted == min(asked, cap), "granted \(granted), asked \(asked), rmem_max \(cap)")
        #expect(size > before || before / 2 >= asked, "the buffer did not grow from \(before)")
    }

    @Test func reportsAnErrorOnABadDescriptor() {
        #expect(fo_set_receive_buffer(-1, 1 << 20) == -EBADF)
    }
}
