#!/usr/bin/env python3
"""Attack H: one user mints every capability slot.  A token's slot is
per boot and freed only by revoke (CT_SLOTS = 256); any user but none
may mint tokens for themselves at /adm/tokens (0666).  alice (here a
trusted attach as alice; the same over her own unix socket uid or an
authenticated TCP connection) writes "mint" in a loop and never reads
the tokens back: every slot is hers, and nobody -- bob, eve -- can mint
a token until luxsim restarts.  Measured: how many mints alice got, and
whether bob's and eve's next mint works.

Usage: h_token_slots.py [luxsim] [mints]
"""
import sys

import common as cm

tries = int(sys.argv[2]) if len(sys.argv) > 2 else 300
srv = cm.server("mkdir /tmp/d\necho uname alice 1001 > /adm/users\necho uname bob 1002 > /adm/users\n")


def minter(uid):
    c = cm.nt.Client(srv.tcp, "9P2000.L")
    c.attach(1, "", "", uid)
    c.walk(1, 2, ["adm", "tokens"])
    c.open(2, 2)
    return c


def mint(c, line="mint"):
    try:
        c.write(2, 0, line.encode())
    except cm.NinepError as e:
        return str(e)
    got = c.read(2, 0, 600).decode().strip()
    return "ok " + got[:12] + "..." if got.startswith("lux1") else "no token: %r" % got


try:
    a = minter(1001)
    ok, last = 0, ""
    for i in range(tries):
        try:
            a.write(2, 0, b"mint")
            ok += 1
        except cm.NinepError as e:
            last = str(e)
            break
    print("alice minted %d tokens of %d tries%s" % (ok, tries, "; then: " + last if last else ""))
    b = minter(1002)
    print("bob's mint after that:", mint(b))
    out = srv.shell("echo mint > /adm/tokens; cat /adm/tokens")
    print("eve's mint after that:", " | ".join(l[:60] for l in out[-2:]))
    a.close()
    b.close()
finally:
    print("luxsim exit", srv.stop()[0])
