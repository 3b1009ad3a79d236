#!/usr/bin/env python3
"""Attack M: an anonymous client watches everyone.  /9p/status (0444)
listed every connection's peer address and port, what it held and ran,
and every peer: a client as none on the plain TCP listener saw the host
owner's connections and every other client come and go.  Measured: the
connection and peer lines none reads while the host owner and another
address are connected.

Usage: m_status.py [luxsim]
"""
import sys

import common as cm

T = cm.nt
srv = cm.server()
try:
    owner = T.Client(srv.path, "9P2000.L")
    owner.attach(1)
    other = cm.tcp_from("127.0.0.9", srv.port_plain)
    other.attach(1)
    c = T.Client(("127.0.0.1", srv.port_plain), "9P2000.L")
    c.attach(1)
    c.walk(1, 2, ["9p", "status"])
    c.open(2, 0)
    lines = c.read(2, 0, 8000).decode().splitlines()
    seen = [l.split()[2] for l in lines if l.startswith("conn ")]
    peers = [" ".join(l.split()[:4]) for l in lines if l.startswith("peer ")]
    print("none sees %d connections: %s" % (len(seen), ", ".join(seen)))
    print("none sees %d peers: %s" % (len(peers), "; ".join(peers)))
    for x in (c, other, owner):
        x.close()
finally:
    print("luxsim exit", srv.stop()[0])
