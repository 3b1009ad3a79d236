#!/usr/bin/env python3
"""Attack C: reply reservations with the pool spent.  The host owner's
share is filled by clients reading nothing; then, on the same peer, a
victim with a tiny receive buffer pipelines small Treads (answered one at
a time, uncharged: NINEP_ROOM_FREE) until its replies wait unread
(replywait), and meanwhile sends Tflush of requests behind the wait, a
Tclunk of the fid they use, a Tremove-like clunk and a Tversion.  Then it
reads everything.  Checks: nothing wedged (every message answered or
dropped as flush(5)/version(5) say), the victim works after, and after all
clients close `ninep` reads all zero with no peer lines (no pebble
leaked, no kassert).

Usage: c_replywait.py [luxsim] [mem-MiB] [rounds]
"""
import socket
import struct
import sys
import time

import common as cm
from common import TREAD, TFLUSH, TCLUNK, TVERSION, NOTAG, msg, s

mem = sys.argv[2] if len(sys.argv) > 2 else "32"
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
srv = cm.server(args=("--mem", mem))
hogs = []
bad = []
try:
    for k in range(400):
        try:
            c = cm.nt.Client(srv.path, "9P2000.L", msize=65536 + 24)
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.attach(1)
            c.walk(1, 2, ["9p", "zero"])
            c.open(2, 0)
        except (cm.NinepError, EOFError, OSError) as e:
            print("hog %d refused: %r" % (k, e))
            break
        c.send(b"".join(msg(TREAD, 100 + i, struct.pack("<IQI", 2, 0, 60000)) for i in range(60)))
        hogs.append(c)
    time.sleep(1)
    print("\n".join(l for l in cm.ninep(srv) if l.startswith(("total", "peer"))))
    for rnd in range(rounds):
        try:
            v = cm.nt.Client(srv.path, "9P2000.L", msize=8192)
        except (cm.NinepError, EOFError, OSError) as e:
            print("round %d: victim cannot connect: %r (closing one hog)" % (rnd, e))
            hogs.pop().close()
            time.sleep(0.5)
            continue
        v.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        v.attach(1)
        v.walk(1, 2, ["9p", "zero"])
        v.open(2, 0)
        # 60 small reads (FREE one at a time when the pool is spent)
        sent = {}
        batch = b""
        for i in range(60):
            batch += msg(TREAD, 1000 + i, struct.pack("<IQI", 2, 0, 1900))
            sent[1000 + i] = "read"
        v.send(batch)
        time.sleep(0.3)
        # flushes of some waiting, a clunk of fid 2 while reads use it, then a Tversion
        tail = b""
        for i in range(40, 60, 3):
            tail += msg(TFLUSH, 2000 + i, struct.pack("<H", 1000 + i))
            sent[2000 + i] = "flush"
        tail += msg(TCLUNK, 3000, struct.pack("<I", 2))
        sent[3000] = "clunk"
        v.send(tail)
        time.sleep(0.3)
        if rnd % 2 == 1:
            v.send(msg(TVERSION, NOTAG, struct.pack("<I", 8192) + s("9P2000.L")))
            sent[NOTAG] = "version"
        # now read it all
        v.sock.settimeout(5)
        got = {}
        try:
            while True:
                t, tag, body = v.recv()
                got[tag] = t
                if tag == NOTAG:
                    break
                if rnd % 2 == 0 and all(k in got for k in sent if sent[k] in ("flush", "clunk")) \
                        and len(got) >= len(sent) - 7:
                    v.sock.settimeout(1)
        except (socket.timeout, TimeoutError):
            pass
        missing_flush = [k for k in sent if sent[k] in ("flush", "clunk", "version") and k not in got]
        if missing_flush:
            bad.append("round %d: never answered: %s" % (rnd, missing_flush))
        print("round %d: %d answers of %d sent; unanswered flush/clunk/version: %s" %
              (rnd, len(got), len(sent), missing_flush))
        # does the victim still work?
        try:
            v.sock.settimeout(5)
            if rnd % 2 == 1:
                v.attach(1)
            v.walk(1, 5, ["tmp", "d", "f"])
            v.open(5, 0)
            ok = v.read(5, 0, 100) == b"hello\n"
        except cm.NinepError as e:
            ok = True   # answered (EDQUOT while the pool is spent): not wedged
            print("round %d: victim after: answered %r" % (rnd, e))
        except Exception as e:  # noqa: BLE001
            ok = "broken: %r" % (e,)
        print("round %d: victim after: %s" % (rnd, ok))
        if ok is not True:
            bad.append("round %d: victim after: %s" % (rnd, ok))
        v.close()
    for c in hogs:
        c.close()
    clean, lines = cm.wait_clean(srv, 20)
    print("counters clean after all closed:", clean)
    if not clean:
        print("\n".join(lines[-6:]))
        bad.append("leak")
finally:
    rc, out, err = srv.stop()
    print("luxsim exit", rc, err[-500:] if rc else "")
    if rc:
        bad.append("luxsim exit %s" % rc)
print("FAIL" if bad else "OK", bad)
sys.exit(1 if bad else 0)
