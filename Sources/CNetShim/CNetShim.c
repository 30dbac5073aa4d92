#define _GNU_SOURCE
#include "CNetShim.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <unistd.h>

struct fo_batch {
    fo_datagram *slots;
    uint32_t count;
    struct mmsghdr *headers;
    struct iovec *vectors;
};

fo_batch *fo_batch_create(fo_datagram *slots, uint32_t count) {
    fo_batch *batch = calloc(1, sizeof(fo_batch));
    if (!batch) return NULL;
    batch->slots = slots;
    batch->count = count;
    batch->headers = calloc(count, sizeof(struct mmsghdr));
    batch->vectors = calloc(count, sizeof(struct iovec));
    if (!batch->headers || !batch->vectors) {
        fo_batch_destroy(batch);
        return NULL;
    }
    /* The slots never move: point each header at its slot once; a call only
       resets the lengths. */
    for (uint32_t i = 0; i < count; i++) {
        batch->vectors[i].iov_base = slots[i].buffer;
        struct msghdr *h = &batch->headers[i].msg_hdr;
        h->msg_name = &slots[i].peer;
        h->msg_iov = &batch->vectors[i];
        h->msg_iovlen = 1;
    }
    return batch;
}

void fo_batch_destroy(fo_batch *batch) {
    if (!batch) return;
    free(batch->headers);
    free(batch->vectors);
    free(batch);
}

int fo_batch_receive(int fd, fo_batch *batch, uint32_t count) {
    if (count > batch->count) count = batch->count;
    for (uint32_t i = 0; i < count; i++) {
        batch->vectors[i].iov_len = batch->slots[i].capacity;
        batch->headers[i].msg_hdr.msg_namelen = sizeof(batch->slots[i].peer);
        batch->headers[i].msg_hdr.msg_flags = 0;
        batch->headers[i].msg_len = 0;
    }
    /* Block for the first datagram, then take whatever else is queued. */
    int received = recvmmsg(fd, batch->headers, count, MSG_WAITFORONE, NULL);
    if (received < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
        return -1;
    }
    for (int i = 0; i < received; i++) {
        fo_datagram *slot = &batch->slots[i];
        slot->length = batch->headers[i].msg_len;
        slot->peer_length = batch->headers[i].msg_hdr.msg_namelen;
        /* A datagram larger than the buffer was cut: mark it unusable. */
        if (batch->headers[i].msg_hdr.msg_flags & MSG_TRUNC) slot->length = 0;
    }
    return received;
}

int fo_batch_send(int fd, fo_batch *batch, uint32_t count) {
    if (count > batch->count) count = batch->count;
    for (uint32_t i = 0; i < count; i++) {
        batch->vectors[i].iov_len = batch->slots[i].length;
        batch->headers[i].msg_hdr.msg_namelen = batch->slots[i].peer_length;
    }
    uint32_t sent = 0;
    while (sent < count) {
        int n = sendmmsg(fd, batch->headers + sent, count - sent, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            /* Skip the datagram that failed (e.g. unreachable peer) and go on. */
            sent += 1;
            continue;
        }
        sent += (uint32_t)n;
    }
    return (int)sent;
}

int fo_bind_socket(const struct sockaddr *address, socklen_t length, int type, int reuse_port) {
    int fd = socket(address->sa_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
        int e = errno; close(fd); return -e;
    }
    if (address->sa_family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (bind(fd, address, length) < 0) {
        int e = errno; close(fd); return -e;
    }
    return fd;
}

int fo_set_receive_timeout(int fd, int milliseconds) {
    struct timeval tv;
    tv.tv_sec = milliseconds / 1000;
    tv.tv_usec = (milliseconds % 1000) * 1000;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) return -errno;
    return 0;
}

int fo_set_receive_buffer(int fd, int bytes) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0) {
        return -errno;
    }
    int size = 0;
    socklen_t len = sizeof(size);
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) < 0) return -errno;
    return size;
}

int fo_peer_credentials(int fd, uint32_t *pid, uint32_t *uid, uint32_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return -errno;
    *pid = (uint32_t)cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int fo_socket_type(int fd) {
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return -errno;
    return type;
}

int fo_socket_family(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -errno;
    return ss.ss_family;
}

int fo_set_timer_slack(unsigned long nanoseconds) {
    if (prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0) < 0) return -errno;
    return 0;
}

int fo_set_thread_name(const char *name) {
    if (prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0) < 0) return -errno;
    return 0;
}

int fo_fix_mmap_threshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}
