#!/usr/bin/env python3
"""Attack H: one user mints every capability slot.  A token's slot is
per boot and freed only by revoke (CT_SLOTS = 256); any user but none
may mint tokens for themselves at /adm/tokens (0666).  alice (here a
trusted attach as alice; the same over her own unix socket uid or an
authenticated TCP connection) mints in a loop (reading each token back;
before the fix, not reading did the same): every slot is hers, and
nobody -- bob, eve -- can mint a token until luxsim restarts.  Measured:
how many mints alice got, and whether bob's and eve's next mint works.
Part 2: carol evicts bob's minted token before he reads it (the table of
tokens waiting to be read is 16, shared), and its slot is never freed.

Usage: h_token_slots.py [luxsim] [mints]
"""
import sys

import common as cm

tries = int(sys.argv[2]) if len(sys.argv) > 2 else 300
srv = cm.server("mkdir /tmp/d\necho uname alice 1001 > /adm/users\necho uname bob 1002 > /adm/users\n"
                "echo uname carol 1003 > /adm/users\n")


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
            a.read(2, 0, 600)   # read: kept (an unread one is revoked at her next mint)
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
    # Part 2: the table of minted tokens waiting to be read keeps 16, the
    # oldest evicted, whoever's it is.  bob mints; before he reads it,
    # carol mints once on each of 16 connections: bob reads nothing, and
    # the slot of the token nobody ever saw stays live (no text to revoke
    # it with), in bob's share.
    b = minter(1002)
    lost = 0
    for r in range(20):
        try:
            b.write(2, 0, b"mint")
        except cm.NinepError as e:
            print("bob's mint refused at round %d: %s" % (r, e))
            break
        conns = [minter(1003) for _ in range(16)]
        for c in conns:
            try:
                c.write(2, 0, b"mint")
            except cm.NinepError:
                pass
        for c in conns:     # carol keeps within her share
            got = c.read(2, 0, 600).decode().strip()
            if got.startswith("lux1"):
                c.write(2, 0, ("revoke " + got).encode())
            c.close()
        got = b.read(2, 0, 600).decode().strip()
        if got.startswith("lux1"):
            b.write(2, 0, ("revoke " + got).encode())   # bob keeps within his
        else:
            lost += 1
    print("bob's mints lost to carol's eviction: %d of %d; bob's next mint: %s" %
          (lost, r + 1, mint(b)))
    b.close()
finally:
    print("luxsim exit", srv.stop()[0])
