#!/usr/bin/env python3
"""Attack N: an anonymous client erases the audit trail.  /dev/audit is a
ring of AUDIT_RING = 128 fixed records, the oldest overwritten, whoever
made them.  A client as none is refused something (here: opening
/proc/1/ns for writing, an attempt on init's namespace: audited), then
asks to be refused 128 more times (each a record) and the record of the
attempt is gone; only a count of lost records remains.  Measured: whether
the attempt is still in /dev/audit after n refusals.

Not fixed (docs/security.md, "Not protected yet").

Usage: n_audit.py [luxsim] [refusals]
"""
import sys

import common as cm

T = cm.nt
n = int(sys.argv[2]) if len(sys.argv) > 2 else 140
srv = cm.server()


def refused(c, fid, path, mode):
    c.walk(1, fid, path)
    try:
        c.open(fid, mode)
    except T.NinepError:
        pass
    c.clunk(fid)


try:
    c = T.Client(("127.0.0.1", srv.port_plain), "9P2000.L")
    c.attach(1)
    refused(c, 2, ["proc", "1", "ns"], 1)           # the attempt
    trail = "\n".join(srv.shell("cat /dev/audit"))
    print("attempt audited:", "open obj 0 (ns): refused" in trail)
    for i in range(n):
        refused(c, 3, ["dev", "cons"], 0)            # noise: read /dev/cons, refused
    trail = srv.shell("cat /dev/audit")
    print("after %d more refusals: %d records shown, the attempt %s" %
          (n, len(trail), "still there" if any("open obj 0 (ns): refused" in l for l in trail)
           else "gone"))
    c.close()
finally:
    print("luxsim exit", srv.stop()[0])
