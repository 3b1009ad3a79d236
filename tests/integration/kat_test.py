#!/usr/bin/env python3
"""Known-answer tests from the standards through /secure/crypto on luxsim.

Usage: kat_test.py PATH/TO/luxsim [unittest args]

The vectors are tests/kat/*.txt (FIPS 180-4 / NIST CAVP, RFC 7693,
RFC 8032, RFC 8439, draft-irtf-cfrg-xchacha, RFC 4231, RFC 7748); first
they are checked against Python's own implementations (hashlib, hmac,
OpenSSL through python3-cryptography), then tests/kat/kat.py turns them
into shell commands that are piped into a fresh luxsim, exactly as
tests/boot/boot-test.py --kat types them into the x86_64 kernel in QEMU,
and the output is compared with the expected lines.  The hash vectors also
go through the 9P server (one Twrite per 64 KiB, a read on a second fid).

A kind whose files have not landed in /secure/crypto is skipped with the
reason; the skip is visible in the test output, and every vector that
keys/ctl cannot take (RFC 4231 cases 2, 6, 7: key lengths) is listed by
test_not_run_is_reported.
"""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "kat"))
import kat  # noqa: E402
import metal  # noqa: E402  (LUX_TARGET=x86_64: the same tests on the metal kernel)
import ninep_test as nt  # noqa: E402

LUXSIM = None
TIMEOUT = 120
VECTORS = kat.parse()

# The directories of /secure/crypto each kind of vector goes through.
NEEDS = {"hash": ["hash"], "ed25519": ["keys", "sign", "verify"], "aead": ["keys", "aead"],
         "hmac": ["keys", "mac"], "x25519": ["keys", "kx"]}


def run_script(lines, fresh=False):
    """Pipe shell lines into a fresh luxsim; (status, output text).  On
    the x86_64 target (metal.py), typed into the booted kernel (a fresh
    boot if fresh: a boot costs seconds under TCG)."""
    if metal.on_metal():
        return metal.run_script(lines, fresh)
    p = subprocess.run([LUXSIM, "-q", "--no-listen"], input=("\n".join(lines) + "\nhalt\n").encode(),
                       capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


_landed = None


def landed():
    global _landed
    if _landed is None:
        rc, out = run_script(["ls /secure/crypto"])
        _landed = {l.strip().rstrip("/") for l in out.split("\n") if l.strip()}
    return _landed


def need(kind):
    missing = [d for d in NEEDS[kind] if d not in landed()]
    if missing:
        raise unittest.SkipTest("%s vectors: /secure/crypto/%s not there yet"
                                % (kind, ", ".join(missing)))


class Vectors(unittest.TestCase):
    def test_vectors_match_independent_implementations(self):
        try:
            import cryptography  # noqa: F401
        except ImportError:
            self.skipTest("python3-cryptography not installed")
        for v in VECTORS:
            with self.subTest(vector=v["name"]):
                for field, want in kat.independent(v).items():
                    self.assertEqual(v[field], want, "%s of %s" % (field, v["name"]))

    def test_every_vector_cites_its_source(self):
        for v in VECTORS:
            self.assertTrue(v["source"].strip(), v["name"])

    def test_not_run_is_reported(self):
        """The vectors the files cannot take are named, with the reason,
        and are exactly RFC 4231's odd-length keys."""
        names = sorted(v["name"] for v, _ in kat.not_run(VECTORS))
        self.assertEqual(names, ["hmac-rfc4231-2", "hmac-rfc4231-6", "hmac-rfc4231-7"])


class HexBuiltins(unittest.TestCase):
    """unhex and hex (core/shell/hexcmd.c), which carry the binary."""

    def test_round_trip_every_byte(self):
        b = bytes(range(256))
        rc, out = run_script(["unhex %s > /tmp/b" % b[:128].hex(), "unhex %s >> /tmp/b" % b[128:].hex(),
                              "hex /tmp/b", "unhex -r 3 00ff0a > /tmp/r", "hex /tmp/r",
                              "unhex 41 42 4344 > /tmp/w", "cat /tmp/w"])
        self.assertEqual(rc, 0, out)
        self.assertIn(b.hex() + "\n", out)
        self.assertIn("00ff0a" * 3 + "\n", out)
        self.assertIn("ABCD", out)

    def test_refusals(self):
        rc, out = run_script(["unhex abc", "unhex zz", "unhex -r 0 61", "unhex -r x 61", "unhex",
                              "hex", "hex /nope"])
        for want in ("an odd number of hex digits", "'z' in zz is not a hex digit",
                     "-r wants a count of at least 1, not 0", "not x", "usage: unhex",
                     "usage: hex", "hex: /nope: file does not exist"):
            self.assertIn(want, out)


class ThroughTheShell(unittest.TestCase):
    """One fresh kernel per kind: its vectors, piped as typed."""

    def run_kind(self, kind):
        if metal.on_metal():
            self.skipTest("x86_64 target: a kind's script assumes a fresh kernel (its session "
                          "numbers); test_all_in_one_boot runs every kind in a fresh boot")
        need(kind)
        s = kat.script(VECTORS, (kind,))
        self.assertTrue(s.expected, "no %s vectors" % kind)
        rc, out = run_script(s.lines)
        self.assertEqual(rc, 0, out[-2000:])
        missing = kat.compare(s, out)
        self.assertEqual(missing, [], "\n".join(missing) + "\n--- output ---\n" + out[-3000:])

    def test_hash(self):
        self.run_kind("hash")

    def test_ed25519(self):
        self.run_kind("ed25519")

    def test_aead(self):
        self.run_kind("aead")

    def test_hmac(self):
        self.run_kind("hmac")

    def test_x25519(self):
        self.run_kind("x25519")

    def test_all_in_one_boot(self):
        """The script the QEMU boot test types, on one kernel: every kind
        that has landed, one after the other."""
        kinds = [k for k in kat.KINDS if all(d in landed() for d in NEEDS[k])]
        s = kat.script(VECTORS, kinds)
        rc, out = run_script(s.lines, fresh=True)
        self.assertEqual(rc, 0, out[-2000:])
        self.assertEqual(kat.compare(s, out), [])


class OverNinep(nt.ServerTest):
    """The hash vectors through the 9P server: 64 KiB Twrites, a Tread on
    a second fid (million 'a' included)."""

    SCRIPT = ""  # a luxsim serving 9P, one for the class (ninep_test.ServerTest)

    def test_hash_vectors(self):
        c = nt.Client(self.srv.path, dialect="9P2000")
        c.attach(0)
        try:
            for v in (v for v in VECTORS if v["kind"] == "hash"):
                with self.subTest(vector=v["name"]):
                    msg = kat.data(v, "msg")
                    c.walk(0, 1, ["secure", "crypto", "hash", v["alg"]])
                    c.open(1, 0x11)	# OWRITE|OTRUNC: a new message
                    off, chunk = 0, min(65536, c.msize - 24)
                    while off < len(msg):
                        n = c.write(1, off, msg[off:off + chunk])
                        self.assertGreater(n, 0)
                        off += n
                    c.clunk(1)
                    c.walk(0, 2, ["secure", "crypto", "hash", v["alg"]])
                    c.open(2, 0)
                    self.assertEqual(c.read(2, 0, 4096), (v["digest"] + "\n").encode())
                    c.clunk(2)
        finally:
            c.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: kat_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    nt.LUXSIM = LUXSIM
    unittest.main(verbosity=2)
