#!/usr/bin/env python3
"""A steady or bursty DNS query load over UDP, for the system tests.

Sends queries for NAME/TYPE to SERVER from SOURCE (so a client address and
prefix can be chosen), each with its own ID, and reports on one JSON line:
sent, answered (NOERROR or NXDOMAIN with QR set), truncated (TC set), lost
(no answer within --timeout), the longest wait for an answer (ms), and the
rcodes seen. Every query is sent once: a lost query is never retried, so
"lost" counts what a client without retries would have lost.

  dnsload.py --server 198.51.100.53 --source 198.51.100.1 --rate 200 --duration 20
  dnsload.py --server 198.51.100.53 --source 198.51.100.1 --burst 1000
"""
import argparse
import json
import random
import select
import socket
import struct
import time


def query(name, qtype, ident):
    labels = b"".join(bytes([len(part)]) + part.encode() for part in name.strip(".").split(".") if part)
    return struct.pack(">HHHHHH", ident, 0x0000, 1, 0, 0, 0) + labels + b"\x00" + struct.pack(">HH", qtype, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True)
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--source", required=True, help="address to send from")
    parser.add_argument("--name", default="cloud66.net")
    parser.add_argument("--type", type=int, default=6, help="query type number (6: SOA)")
    parser.add_argument("--rate", type=float, default=100, help="queries per second (steady mode)")
    parser.add_argument("--duration", type=float, default=10, help="seconds of steady load")
    parser.add_argument("--burst", type=int, default=0, help="send this many at once instead")
    parser.add_argument("--timeout", type=float, default=10, help="seconds an answer may take")
    args = parser.parse_args()

    family = socket.AF_INET6 if ":" in args.server else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((args.source, 0))
    sock.setblocking(False)
    server = (args.server, args.port)

    outstanding = {}  # id -> send time
    stats = {"sent": 0, "answered": 0, "truncated": 0, "lost": 0, "max_wait_ms": 0.0, "rcodes": {}}
    ids = list(range(65536))
    random.shuffle(ids)

    def receive(wait):
        ready, _, _ = select.select([sock], [], [], max(0.0, wait))
        if not ready:
            return
        while True:
            try:
                data = sock.recv(65535)
            except BlockingIOError:
                return
            if len(data) < 12:
                continue
            ident, flags = struct.unpack(">HH", data[:4])
            sent_at = outstanding.pop(ident, None)
            if sent_at is None or not flags & 0x8000:
                continue
            wait_ms = (time.monotonic() - sent_at) * 1000
            stats["max_wait_ms"] = max(stats["max_wait_ms"], wait_ms)
            rcode = flags & 0xF
            stats["rcodes"][str(rcode)] = stats["rcodes"].get(str(rcode), 0) + 1
            if flags & 0x0200:
                stats["truncated"] += 1
            else:
                stats["answered"] += 1

    def send_one():
        ident = ids[stats["sent"] % len(ids)]
        outstanding[ident] = time.monotonic()
        sock.sendto(query(args.name, args.type, ident), server)
        stats["sent"] += 1

    if args.burst:
        for _ in range(args.burst):
            send_one()
        deadline = time.monotonic() + min(args.timeout, 2.0)
    else:
        interval = 1.0 / args.rate
        start = time.monotonic()
        next_send = start
        while time.monotonic() - start < args.duration:
            now = time.monotonic()
            if now >= next_send:
                send_one()
                next_send += interval
            receive(next_send - time.monotonic())
        deadline = time.monotonic() + args.timeout
    while outstanding and time.monotonic() < deadline:
        receive(deadline - time.monotonic())
    stats["lost"] = len(outstanding)
    stats["max_wait_ms"] = round(stats["max_wait_ms"], 1)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
