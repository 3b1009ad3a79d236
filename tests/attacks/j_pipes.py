#!/usr/bin/env python3
"""Attack J: one unauthenticated client takes every pipe.  `#pipe` is
bounded machine-wide (PIPE_MAX = 32 live pipes) with no share per user,
and each bind of '#pipe' in a namespace is a new pipe that lives as long
as the namespace does.  32 connections as none on the plain TCP listener
each bind '#pipe' over /tmp in their own namespace (/proc/N/ns) and stay:
nobody else -- the operator's shell, any other client -- can make a pipe
until they hang up.  Measured: pipes the attacker got, then the shell's
`mount '#pipe' /n/p`.

Usage: j_pipes.py [luxsim] [connections]
"""
import sys

import common as cm

nconn = int(sys.argv[2]) if len(sys.argv) > 2 else 34
srv = cm.server("mkdir /tmp/d\nmkdir /n\nmkdir /n/p\n")
held = []
try:
    got, last = 0, ""
    for k in range(nconn):
        c = cm.nt.Client(("127.0.0.1", srv.port_plain), "9P2000.L")
        held.append(c)
        c.attach(1)
        try:
            cm.ns_write(c, "bind '#pipe' /tmp\n")
            got += 1
        except cm.NinepError as e:
            last = str(e)
    print("none over TCP: %d pipes from %d connections%s" %
          (got, nconn, "; then: " + last if last else ""))
    print("operator's shell:", " | ".join(srv.shell("mount '#pipe' /n/p; ls /n/p")[-2:]))
    for c in held:
        c.close()
    held = []
    clean, _ = cm.wait_clean(srv, 15)
    print("after the hang-up:", " | ".join(srv.shell("unmount /n/p; mount '#pipe' /n/p; ls /n/p")[-2:]))
finally:
    for c in held:
        c.close()
    print("luxsim exit", srv.stop()[0])
