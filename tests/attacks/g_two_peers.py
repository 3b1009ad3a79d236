#!/usr/bin/env python3
"""Attack G: two addresses fill the workers of every peer but the host
owner.  A peer other than the host owner may run half of the pool's
workers (32 of 64) and all such peers together three quarters (48); the
last eighth is kept for a peer's first request only when the pool as a
whole is that full.  So 127.0.0.2 with 32 reads asleep on a pipe and
127.0.0.3 with 16 take the others' 48, and a third peer -- another TCP
host, an authenticated user, another local uid -- has its Tattach parked
for as long as they sleep, while 16 workers sit free for the host owner.
Measured: the third peer's Tversion and Tattach, and the host owner's.

Usage: g_two_peers.py [luxsim] [per-conn reads]
"""
import socket
import struct
import sys
import time

import common as cm
from common import TREAD, TVERSION, NOTAG, NOFID, msg, s

ATTACH = msg(104, 1, struct.pack("<II", 1, NOFID) + s("") + s("") + struct.pack("<I", NOFID))
WALK = msg(110, 2, struct.pack("<IIH", 1, 10, 3) + s("n") + s("pipe") + s("data1"))
LOPEN = msg(12, 3, struct.pack("<II", 10, 0))
READS = b"".join(msg(TREAD, 100 + i, struct.pack("<IQI", 10, 0, 100)) for i in range(4))


def sleepers(src, port, nconns):
    held = []
    for _ in range(nconns):
        c = cm.tcp_from(src, port)
        c.send(ATTACH + WALK + LOPEN + READS)
        held.append(c)
    return held


def third(src, port):
    """Tversion and Tattach from a fresh peer: seconds each, None = no answer in 5 s."""
    c = cm.nt.Client.__new__(cm.nt.Client)
    c.sock = socket.socket(socket.AF_INET if src else socket.AF_UNIX, socket.SOCK_STREAM)
    if src:
        c.sock.bind((src, 0))
    c.sock.connect(port)
    c.dotl, c.tag = True, 0
    dv, _ = cm.timed_rpc(c, TVERSION, struct.pack("<I", 8192) + s("9P2000.L"), NOTAG, 5)
    body = struct.pack("<II", 1, NOFID) + s("") + s("") + struct.pack("<I", NOFID)
    da, _ = cm.timed_rpc(c, 104, body, 1, 5) if dv is not None else (None, None)
    c.sock.close()
    return dv, da


def fmt(d):
    return "no answer in 5 s" if d is None else "%.3f s" % d


srv = cm.server("mkdir /tmp/d\n" + cm.nt.PIPE_SCRIPT)
held = []
try:
    held += sleepers("127.0.0.2", srv.port, 8)     # 32 reads: one peer's half
    held += sleepers("127.0.0.3", srv.port, 4)     # 16 more: the others' 3/4
    time.sleep(1.5)
    print("\n".join(cm.totals(srv)))
    dv, da = third("127.0.0.4", ("127.0.0.1", srv.port))
    print("third peer tcp!127.0.0.4: Tversion %s, Tattach %s" % (fmt(dv), fmt(da)))
    ov, oa = third(None, srv.path)
    print("host owner (unix): Tversion %s, Tattach %s" % (fmt(ov), fmt(oa)))
    for c in held:
        c.close()
    held = []
    clean, _ = cm.wait_clean(srv, 15)
    print("counters clean after the hang-up:", clean)
    # the same with 48 addresses, one connection of none each (a pipe of
    # its own bound over /tmp, one read asleep on it): none may hold 8
    # pipes (PIPE_PER_USER), so at most 8 such reads
    slept = 0
    for k in range(48):
        c = cm.tcp_from("127.0.3.%d" % (2 + k), srv.port_plain)
        held.append(c)
        c.attach(1)
        try:
            cm.ns_write(c, "bind '#pipe' /tmp\n")
        except cm.NinepError:
            continue
        c.walk(1, 10, ["tmp", "data1"])
        c.open(10, 0)
        c.send(msg(TREAD, 100, struct.pack("<IQI", 10, 0, 100)))
        slept += 1
    time.sleep(1)
    dv, da = third("127.0.0.4", ("127.0.0.1", srv.port))
    print("48 addresses as none, %d reads asleep: third peer Tversion %s, Tattach %s" %
          (slept, fmt(dv), fmt(da)))
finally:
    for c in held:
        c.close()
    print("luxsim exit", srv.stop()[0])
