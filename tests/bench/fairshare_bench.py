#!/usr/bin/env python3
"""A bystander's small requests while another user hashes passwords, same run.

usage: fairshare_bench.py PATH/TO/luxsim PATH/TO/bench-9pload
                          [--rounds N] [--seconds S] [--loopers K] [--quick]

One luxsim serves a unix socket.  The bystander is bench-9pload's getattr
loop (-g, one connection, one request at a time).  Each round measures it
alone (the baseline), then again while K other connections loop Argon2id
through /secure/crypto/pwhash at ops 16, mem 16 MiB (seconds of CPU per
hash: the kind of request that would hold the kernel's CPU).  The kernel
runs each Argon2id in its user's turn away from the CPU that serves
everyone else (core/kern/offload.c, docs/crypto.md "Fair shares"), so
the ratio bystander-with-loopers / alone should stay near 1; before that
change it was 0.001 (about 10 getattr/s against 11,000).  The table shows
medians over the rounds and the hashes the loopers finished.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import ninep_test as nt  # noqa: E402  (the 9P client the integration tests use)

PW = "/secure/crypto/pwhash"


def getattr_rate(load, sock, secs):
    out = subprocess.run([load, "-s", "unix!" + sock, "-g", "-n", "1", "-r", str(secs)],
                         capture_output=True, text=True, timeout=secs + 30)
    line = (out.stdout + out.stderr).strip()
    if out.returncode != 0 or not line.startswith("9pload: "):
        sys.exit("fairshare_bench: bench-9pload: %s" % line)
    return float(line.split()[1])


def walk_open(c, fid, path, mode):
    c.walk(1, fid, [p for p in path.split("/") if p])
    c.open(fid, mode)


def looper(sock, stop, done, errors):
    """Argon2id in a loop on a connection of its own, until stop."""
    try:
        c = nt.Client(sock, "9P2000")
        c.attach(1)
        walk_open(c, 2, PW + "/clone", 0)
        n = c.read(2, 0, 32).decode().strip()
        walk_open(c, 3, "%s/%s/ctl" % (PW, n), 1)
        for cmd in ("salt 000102030405060708090a0b0c0d0e0f", "ops 16", "mem 16777216"):
            c.write(3, 0, (cmd + "\n").encode())
        walk_open(c, 4, "%s/%s/data" % (PW, n), 2)
        while not stop.is_set():
            c.write(4, 0, b"hunter2")
            if len(c.read(4, 0, 200).strip()) != 64:
                raise RuntimeError("pwhash: not a 32-byte hash in hex")
            done.append(1)
        c.close()
    except Exception as e:  # reported in the table, not swallowed
        errors.append(repr(e))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("luxsim")
    ap.add_argument("load")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--loopers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="one short round: a smoke, not a measurement")
    a = ap.parse_args()
    if a.quick:
        a.rounds, a.seconds = 1, 1
    d = tempfile.mkdtemp(prefix="fairshare-")
    sock = os.path.join(d, "sock")
    p = subprocess.Popen([a.luxsim, "-q", "--mem", "256", "--listen", "unix!" + sock,
                          "--state-dir", d], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    alone, loaded, hashes, errors = [], [], 0, []
    try:
        for _ in range(a.rounds):
            alone.append(getattr_rate(a.load, sock, a.seconds))
            stop, done = threading.Event(), []
            ts = [threading.Thread(target=looper, args=(sock, stop, done, errors))
                  for _ in range(a.loopers)]
            for t in ts:
                t.start()
            time.sleep(0.5)     # the loopers are hashing
            loaded.append(getattr_rate(a.load, sock, a.seconds))
            stop.set()
            for t in ts:
                t.join(60)
            hashes += len(done)
    finally:
        p.stdin.close()
        p.wait(30)
    if errors:
        sys.exit("fairshare_bench: a looper failed: %s" % errors[0])
    if hashes == 0:
        sys.exit("fairshare_bench: the loopers finished no hash: nothing was measured")
    ma, ml = statistics.median(alone), statistics.median(loaded)
    print("bystander getattr/s (bench-9pload -g, 1 connection), median of %d rounds of %g s"
          % (a.rounds, a.seconds))
    print("%-44s %12s %8s" % ("run", "getattr/s", "ratio"))
    print("%-44s %12.0f %8s" % ("alone (baseline)", ma, "1.00"))
    print("%-44s %12.0f %8.2f" % ("with %d Argon2id loopers (ops 16, 16 MiB)" % a.loopers, ml, ml / ma))
    print("hashes the loopers finished meanwhile: %d" % hashes)


if __name__ == "__main__":
    main()
