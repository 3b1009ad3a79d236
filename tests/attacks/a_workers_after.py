#!/usr/bin/env python3
"""Attack A, after: the attacker of a_workers.py hangs up; 30 s later the
host owner was still not served and the attacker's 16 connections were
still counted (their end jobs needed a worker too).  Fixed: a hang-up
kills its connection's running requests at once; now "total conns 0"
and the owner's Tversion is answered at once.

Usage: a_workers_after.py [luxsim]
"""
import socket
import struct
import sys
import time

import common as cm
from common import TREAD, TVERSION, NOTAG, msg, s

srv = cm.server()
try:
    held, _ = cm.sleep_in_workers(srv, 16)
    time.sleep(1)
    for c in held:
        c.close()
    print("attacker hung up; waiting 30 s")
    time.sleep(30)
    print("\n".join(l for l in cm.ninep(srv) if l.startswith(("total", "peer"))))
    v = cm.nt.Client.__new__(cm.nt.Client)
    v.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    v.sock.connect(srv.path)
    dt, got = cm.timed_rpc(v, TVERSION, struct.pack("<I", 8192) + s("9P2000.L"), NOTAG, 5)
    print("host owner Tversion 30 s after the attacker left: %s" %
          ("no answer in 5 s" if dt is None else "answered in %.3f s" % dt))
    v.sock.close()
finally:
    print("luxsim exit", srv.stop()[0])
