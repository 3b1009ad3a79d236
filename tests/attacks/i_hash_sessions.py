#!/usr/bin/env python3
"""Attack I: one unauthenticated client takes every hash session.  The
hash files (/secure/crypto/hash/{sha256,sha512,blake2b}, 0666) keep one
session per proc and algorithm -- for a 9P client, per connection -- in a
kernel-wide table of 64 (DEVCRYPTO_SESSIONS), with no share per user
(the clone sessions have one: 16).  22 connections as none on the plain
TCP listener each write one byte to the three files and stay: the table
is full, and nobody -- the operator's shell, an authenticated user --
can hash until they hang up.  Measured: sessions the attacker got, then
the shell's `echo data > /secure/crypto/hash/sha256`.

Usage: i_hash_sessions.py [luxsim] [connections]
"""
import sys

import common as cm

nconn = int(sys.argv[2]) if len(sys.argv) > 2 else 22
srv = cm.server()
held = []
try:
    got = refused = 0
    last = ""
    for k in range(nconn):
        c = cm.nt.Client(("127.0.0.1", srv.port_plain), "9P2000.L")
        held.append(c)
        c.attach(1)
        for i, alg in enumerate(("sha256", "sha512", "blake2b")):
            f = 10 + i
            c.walk(1, f, ["secure", "crypto", "hash", alg])
            c.open(f, 1)
            try:
                c.write(f, 0, b"x")
                got += 1
            except cm.NinepError as e:
                refused += 1
                last = str(e)
    print("none over TCP: %d hash sessions from %d connections, %d refused%s" %
          (got, nconn, refused, " (%s)" % last if last else ""))
    out = srv.shell("echo data > /secure/crypto/hash/sha256; cat /secure/crypto/hash/sha256")
    print("operator's shell:", " | ".join(out[-2:]))
    for c in held:
        c.close()
    held = []
    clean, _ = cm.wait_clean(srv, 15)
    out = srv.shell("echo data > /secure/crypto/hash/sha256; cat /secure/crypto/hash/sha256")
    print("after the hang-up:", " | ".join(out[-1:]))
finally:
    for c in held:
        c.close()
    print("luxsim exit", srv.stop()[0])
