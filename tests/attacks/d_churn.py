#!/usr/bin/env python3
"""Attack D: churn peers.  Threads connect and hang up as fast as they can
from the unix socket and from several loopback addresses (a peer each),
some right after connect, some mid-Tversion, some after pipelining reads
they never read, some after a Tversion loop.  Then every client is gone:
`ninep` must read all zero with no peer lines, and an honest client on each
transport is served.

Usage: d_churn.py [luxsim] [seconds] [threads]
"""
import random
import socket
import struct
import sys
import threading
import time

import common as cm
from common import TREAD, TVERSION, NOTAG, msg, s

secs = float(sys.argv[2]) if len(sys.argv) > 2 else 5
nthr = int(sys.argv[3]) if len(sys.argv) > 3 else 12
srv = cm.server()
stop = time.monotonic() + secs
count = [0]
errs = []


def one(rng):
    kind = rng.randrange(6)
    src = rng.choice([None, "127.0.0.2", "127.0.0.3", "127.0.0.%d" % rng.randrange(4, 40)])
    if src is None:
        so = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        so.settimeout(3)
        so.connect(srv.path)
    else:
        so = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        so.settimeout(3)
        so.bind((src, 0))
        so.connect(("127.0.0.1", srv.port))
    try:
        ver = msg(TVERSION, NOTAG, struct.pack("<I", 65560) + s("9P2000.L"))
        att = msg(104, 1, struct.pack("<II", 1, 0xFFFFFFFF) + s("") + s("") + struct.pack("<I", 0xFFFFFFFF))
        walk = msg(110, 2, struct.pack("<IIH", 1, 2, 2) + s("9p") + s("zero"))
        lopen = msg(12, 3, struct.pack("<II", 2, 0))
        if kind == 0:
            pass
        elif kind == 1:
            so.sendall(ver[:5])
        elif kind == 2:
            so.sendall(ver + att + walk + lopen +
                       b"".join(msg(TREAD, 100 + i, struct.pack("<IQI", 2, 0, 60000)) for i in range(60)))
            time.sleep(rng.random() * 0.05)
        elif kind == 3:
            so.sendall(ver * 20)
        elif kind == 4:
            so.sendall(ver + att + walk + lopen +
                       b"".join(msg(TREAD, 100 + i, struct.pack("<IQI", 2, 0, 1000)) for i in range(30)) +
                       b"".join(msg(108, 200 + i, struct.pack("<H", 100 + i)) for i in range(30)) + ver)
            so.recv(65536)
        else:
            so.sendall(ver + att + walk + lopen + ver + att + walk + lopen)
            so.recv(100)
    except OSError:
        pass
    finally:
        if rng.random() < 0.5:
            so.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset
        so.close()


def run(seed):
    rng = random.Random(seed)
    while time.monotonic() < stop:
        try:
            one(rng)
            count[0] += 1
        except Exception as e:  # noqa: BLE001
            errs.append(repr(e))


bad = []
try:
    th = [threading.Thread(target=run, args=(i,)) for i in range(nthr)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    print("%d connections churned in %.0f s (%d client errors, e.g. %s)" %
          (count[0], secs, len(errs), errs[:2]))
    clean, lines = cm.wait_clean(srv, 25)
    print("counters clean:", clean)
    if not clean:
        print("\n".join(lines[-8:]))
        bad.append("leak")
    for addr in (srv.path, ("127.0.0.1", srv.port)):
        c = cm.nt.Client(addr, "9P2000.L")
        c.attach(1)
        c.walk(1, 2, ["tmp", "d", "f"])
        c.open(2, 0)
        assert c.read(2, 0, 100) == b"hello\n"
        c.close()
    print("honest clients served")
finally:
    rc, out, err = srv.stop()
    print("luxsim exit", rc, err[-800:] if rc else "")
    if rc:
        bad.append("exit %s" % rc)
print("FAIL" if bad else "OK", bad)
sys.exit(1 if bad else 0)
