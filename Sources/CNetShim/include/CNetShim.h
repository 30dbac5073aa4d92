#ifndef CNETSHIM_H
#define CNETSHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>
// malloc_trim, for the daemon to hand pages freed by loading back to the system.
#include <malloc.h>

/// One datagram slot of a batch: its buffer, its length and its peer address.
typedef struct fo_datagram {
    void *buffer;
    uint32_t capacity;
    uint32_t length;
    struct sockaddr_storage peer;
    socklen_t peer_length;
} fo_datagram;

/// Opaque batch of `count` slots used with recvmmsg/sendmmsg.
typedef struct fo_batch fo_batch;

/// A batch over `slots`, whose buffers must be set and stay put for the
/// batch's life (the headers point at them once, here).
fo_batch *fo_batch_create(fo_datagram *slots, uint32_t count);
void fo_batch_destroy(fo_batch *batch);

/// Receives up to `count` datagrams into the batch's slots. Blocks at most
/// `timeout_ms` (the socket's SO_RCVTIMEO). Returns the number received,
/// 0 on timeout or interruption, -1 with errno on error.
int fo_batch_receive(int fd, fo_batch *batch, uint32_t count);

/// Sends the first `count` slots (length and peer as set). Returns the number
/// sent or -1 with errno.
int fo_batch_send(int fd, fo_batch *batch, uint32_t count);

/// Creates a UDP or TCP socket bound to the address, with SO_REUSEPORT (when
/// `reuse_port`), IPV6_V6ONLY for IPv6, non-blocking off. Returns fd or -errno.
int fo_bind_socket(const struct sockaddr *address, socklen_t length, int type, int reuse_port);

/// Sets SO_RCVTIMEO on a socket.
int fo_set_receive_timeout(int fd, int milliseconds);
/* Asks for a receive buffer of `bytes` (SO_RCVBUFFORCE when the process may,
   else SO_RCVBUF, which the kernel caps at net.core.rmem_max); returns the
   size the kernel reports afterwards (which counts its own overhead), or -errno. */
int fo_set_receive_buffer(int fd, int bytes);

/// Sets the calling thread's timer slack (how late the kernel may end its
/// sleeps, 50 µs by default). Returns 0 or -errno.
int fo_set_timer_slack(unsigned long nanoseconds);

/// Names the calling thread (at most 15 bytes kept), as top -H and
/// /proc/PID/task/TID/comm show it. Returns 0 or -errno.
int fo_set_thread_name(const char *name);

/// Fixes glibc's mmap threshold at `bytes` (mallopt M_MMAP_THRESHOLD), which
/// also stops glibc raising it as large blocks are freed. Returns 1 on success.
int fo_fix_mmap_threshold(int bytes);

/// Reads the peer credentials of a Unix stream socket. Returns 0 or -errno.
int fo_peer_credentials(int fd, uint32_t *pid, uint32_t *uid, uint32_t *gid);

/// Returns the socket's SO_TYPE (SOCK_DGRAM, SOCK_STREAM) or -errno.
int fo_socket_type(int fd);

/// Returns the socket's address family or -errno.
int fo_socket_family(int fd);

/// Same layout as Linux's `struct ucred` (which needs _GNU_SOURCE).
typedef struct fo_ucred {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
} fo_ucred;

#endif
