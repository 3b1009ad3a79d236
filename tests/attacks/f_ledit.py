#!/usr/bin/env python3
"""Attack F: the console line editor on a pty: random bytes with escape
sequences, very long lines, history walked past both ends, CSI parameters
too long; then a plain command must still run and luxsim must halt cleanly.

Usage: f_ledit.py [luxsim] [seed] [kbytes]
"""
import os
import pty
import random
import select
import sys
import time

import common as cm

L = cm.luxsim()
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
kb = int(sys.argv[3]) if len(sys.argv) > 3 else 200
rng = random.Random(seed)
pid, fd = pty.fork()
if pid == 0:
    os.execv(L, [L, "-q"])
out = bytearray()


def pump(t):
    end = time.monotonic() + t
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                out.extend(os.read(fd, 65536))
            except OSError:
                return


def send(b):
    for i in range(0, len(b), 512):
        os.write(fd, b[i:i + 512])
        pump(0.001)


pump(1.5)
pieces = [b"\x1b[A", b"\x1b[B", b"\x1b[C", b"\x1b[D", b"\x1b[H", b"\x1b[F", b"\x1b[3~", b"\x1b[1~",
          b"\x1b[4~", b"\x1bOA", b"\x1bO", b"\x1b[", b"\x1b[" + b"9" * 50 + b"~", b"\x1b[1;5C",
          b"\x01", b"\x05", b"\x02", b"\x06", b"\x10", b"\x0e", b"\x15", b"\x0b", b"\x17", b"\x7f",
          b"\x08", b"\t", b"x" * 3000, b"echo hi\r", b"\r", b"\x1b", b"\x9b", b"\xff", b"\x00"]
sent = 0
while sent < kb * 1024:
    p = rng.choice(pieces) if rng.random() < 0.8 else bytes(rng.choice(b'abcdefghijklmnopqrstuvwxyz0123456789 ') for _ in range(rng.randrange(1, 40)))
    if os.environ.get("NOLINES") and p.endswith(b"\r"):
        continue
    if p == b"echo hi\r":
        p = b"\x15echo hi\r"    # a whole harmless line now and then (history grows)
    send(p)
    sent += len(p)
send(b"\x03")
pump(2)
for k in range(3):
    send(b"\x15echo still-alive-%d\r" % seed)
    pump(3)
ok = b"\nstill-alive-%d" % seed in out[-4000:]
send(b"\x15halt\r")
pump(15)
try:
    wpid, status = os.waitpid(pid, os.WNOHANG)
except ChildProcessError:
    wpid, status = pid, 0
if wpid == 0:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("seed %d: luxsim did not halt; command after: %s; tail: %r" % (seed, ok, bytes(out[-300:])))
    sys.exit(1)
print("seed %d: %d KiB of keys; command after: %s; exit status %d" % (seed, sent // 1024, ok, status))
sys.exit(0 if ok and status == 0 else 1)
