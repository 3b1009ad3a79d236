#!/usr/bin/env python3
"""Crypto over 9P against libsodium in-process (docs/style.md, "Measuring").

    crypto_bench.py PATH/TO/luxsim [--client PATH/TO/bench-9pcrypto]
                    [--ceiling PATH/TO/bench-9pceiling] [--quick]

Starts luxsim serving 9P on a unix socket and runs bench-9pcrypto
(tests/bench/ninep_crypto.c) against it: SHA-256 and XChaCha20-Poly1305
seal through /secure/crypto in chunks of 4 KiB, 64 KiB and 1 MiB, against
the same libsodium called in the client's process on the same bytes, runs
alternating, medians; wall and CPU (luxsim's threads against the client's
thread) with ratio = in-process / 9P.  The client checks every digest and
ciphertext against the in-process ones and fails on any difference.

A C client rather than this script's own: at 4 KiB a Python client's cost
per request is as large as the server's, and it is the server that is
measured.  --quick: 1 MiB, one run (the bench-crypto smoke test; not a
measurement).  luxsim links the same libsodium (Debian's libsodium23).

Then the floor alone against bench-9pceiling (tests/bench/ninep_ceiling.c,
one thread): the AEAD rows' requests and bytes answered by a responder
that keeps nothing, so its CPU is what the bytes' two socket crossings
cost with no file service at all (docs/performance.md, "Crypto").
"""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import ninep_test as nt  # noqa: E402


def floor_at_ceiling(client, ceiling, size):
    """bench-9pcrypto -F against a fresh one-thread bench-9pceiling: 0 or 1."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "ceiling")
        p = subprocess.Popen([ceiling, "-l", "unix!" + path, "-t", "1"],
                             stderr=subprocess.PIPE)
        try:
            for _ in range(100):
                if os.path.exists(path):
                    break
                time.sleep(0.05)
            r = subprocess.run([client, "-F", "-s", "unix!" + path, "-p", str(p.pid), *size],
                               timeout=600)
            return 1 if r.returncode != 0 else 0
        finally:
            p.terminate()
            p.wait(timeout=10)


def main(argv):
    args = [a for a in argv if a != "--quick"]
    quick = len(args) != len(argv)
    client = ceiling = None
    if "--client" in args:
        i = args.index("--client")
        client = args[i + 1]
        del args[i:i + 2]
    if "--ceiling" in args:
        i = args.index("--ceiling")
        ceiling = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    nt.LUXSIM = args[0]
    client = client or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args[0]))),
                                    "tests", "bench", "bench-9pcrypto")
    if not os.access(client, os.X_OK):
        sys.exit("crypto_bench: no bench-9pcrypto at %s (build the bench-9pcrypto target)" % client)
    ceiling = ceiling or os.path.join(os.path.dirname(client), "bench-9pceiling")
    size = ["-t", "1", "-r", "1"] if quick else ["-t", "8", "-r", "5"]
    srv = nt.Server("")
    status = 0
    try:
        p = subprocess.run([client, "-s", "unix!" + srv.path, "-p", str(srv.p.pid), *size],
                           timeout=600)
        status = 1 if p.returncode != 0 else 0
    finally:
        rc, out, err = srv.stop()
        if rc != 0:
            print("crypto_bench: luxsim exited %s: %s" % (rc, err[-500:]))
            status = 1
    if os.access(ceiling, os.X_OK):
        print("\nthe same floor against bench-9pceiling (one thread): the socket crossings alone")
        sys.stdout.flush()
        status |= floor_at_ceiling(client, ceiling, size)
    else:
        print("crypto_bench: no bench-9pceiling at %s: the ceiling's floor skipped" % ceiling)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
