#!/usr/bin/env python3
"""Attack L: unauthenticated clients share keys.  A key of /secure/crypto
belongs to the user who made it, and every unauthenticated client is the
one user none: a key one anonymous client generates (or imports) is
listed, used, exported, rotated and deleted by any other, from another
host, and outlives both connections (16 of them fill none's share of the
key table for every anonymous client after).  Measured: what a second
none connection can do with the first's key.

Usage: l_none_keys.py [luxsim]
"""
import sys

import common as cm

T = cm.nt
srv = cm.server()


def conn(src):
    c = cm.tcp_from(src, srv.port_plain, "9P2000")
    c.tauth()
    c.attach(1)
    return c


def ctl(c, fid, line):
    c.walk(1, fid, ["secure", "crypto", "keys", "ctl"])
    c.open(fid, 1)
    try:
        c.write(fid, 0, line.encode())
        return "ok"
    except T.NinepError as e:
        return str(e)
    finally:
        c.clunk(fid)


try:
    a = conn("127.0.0.2")
    print("none at 127.0.0.2: gen aead akey exportable ->", ctl(a, 10, "gen aead akey exportable\n"))
    a.close()
    b = conn("127.0.0.3")
    try:
        b.walk(1, 11, ["secure", "crypto", "keys", "akey"])
        b.open(11, 0)
        text = b.read(11, 0, 4000).decode()
        print("none at 127.0.0.3 reads it:", " | ".join(l for l in text.splitlines()
                                                      if l.startswith(("name", "secret"))))
    except T.NinepError as e:
        print("none at 127.0.0.3 reads it:", e)
    print("none at 127.0.0.3 deletes it ->", ctl(b, 12, "delete akey\n"))
    b.close()
finally:
    print("luxsim exit", srv.stop()[0])
