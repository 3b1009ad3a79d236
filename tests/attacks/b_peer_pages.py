#!/usr/bin/env python3
"""Attack B: two TCP addresses (127.0.0.2 and 127.0.0.3: two peers, each
allowed half of the connections' pool) fill the whole pool with replies
they do not read, and the host owner -- promised three quarters of the
pool and, by the slot rules, a quarter nobody else may take -- is left
with nothing: its next connection is refused or cannot read.

Each attacking connection pipelines 60 Treads of 60,000 bytes of /9p/zero
and reads nothing (UnreadReplies in ninep_edge_test.py, but from two
addresses).

Usage: b_peer_pages.py [luxsim] [mem-MiB]
"""
import re
import socket
import struct
import sys
import time

import common as cm
from common import TREAD, msg

args = ("--mem", sys.argv[2]) if len(sys.argv) > 2 else ()
srv = cm.server(args=args)
held = []


def peer_pages(lines, name):
    for l in lines:
        if l.startswith("peer %s " % name):
            m = re.search(r" conns (\d+) pages (\d+)/(\d+)", l)
            return tuple(map(int, m.groups()))
    return (0, 0, 0)


def fill(src, most=400):
    n = 0
    for k in range(most):
        try:
            c = cm.tcp_from(src, srv.port, msize=65536 + 24, rcvbuf=4096)
            c.attach(1)
            c.walk(1, 2, ["9p", "zero"])
            c.open(2, 0)
        except (cm.NinepError, EOFError, OSError, AssertionError) as e:
            print("  %s: connection %d refused: %r" % (src, k, e))
            break
        c.send(b"".join(msg(TREAD, 100 + i, struct.pack("<IQI", 2, 0, 60000)) for i in range(60)))
        held.append(c)
        n += 1
        if k % 10 == 9:
            time.sleep(0.3)
            conns, pages, share = peer_pages(cm.ninep(srv), "tcp!" + src)
            if pages >= share - 64:
                break
    time.sleep(1)
    return n


try:
    lines = cm.ninep(srv)
    for src in ("127.0.0.2", "127.0.0.3"):
        n = fill(src)
        lines = cm.ninep(srv)
        print("peer %s: %d connections, (conns, pages, share) = %s" %
              (src, n, peer_pages(lines, "tcp!" + src)))
    print("\n".join(l for l in lines if l.startswith(("total", "peer"))))
    # the host owner now
    verdict = "served"
    try:
        v = cm.nt.Client(srv.path, "9P2000.L", msize=65536 + 24)
        held.append(v)
        v.attach(1)
        v.walk(1, 2, ["9p", "zero"])
        v.open(2, 0)
        held.append(v)
        got = v.read(2, 0, 60000)
        print("host owner: read %d bytes" % len(got))
    except (cm.NinepError, EOFError, OSError) as e:
        verdict = "locked out: %r" % (e,)
    print("host owner (unix socket):", verdict)
    try:
        w = cm.tcp_from("127.0.0.4", srv.port)
        held.append(w)
        w.attach(1)
        print("a third address: attached")
    except (cm.NinepError, EOFError, OSError) as e:
        print("a third address: %r" % (e,))
    for c in held:
        c.close()
    ok, lines = cm.wait_clean(srv, 20)
    print("after every client closed, counters clean:", ok)
    if not ok:
        print("\n".join(lines[-6:]))
    sys.exit(0 if verdict == "served" else 1)
finally:
    rc, out, err = srv.stop()
    print("luxsim exit", rc)
