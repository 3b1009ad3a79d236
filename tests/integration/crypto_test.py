#!/usr/bin/env python3
"""Integration tests for /secure/crypto (docs/crypto.md) on luxsim.

Usage: crypto_test.py PATH/TO/luxsim [unittest args]

Every digest is checked against Python's hashlib, an implementation
independent of libsodium.  The shell proves the seed example literally
(`echo data > /secure/crypto/hash/sha256; cat ...`); the 9P server (the
small client of ninep_test.py) proves 1 MiB written in chunks, the seed
example as Twrite, Tclunk, Twalk+Topen+Tread, a single ORDWR fid, and
that two connections (two server procs) do not see each other's sessions.
"""
import hashlib
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metal  # noqa: E402  (LUX_TARGET=x86_64: the same tests on the metal kernel)
import ninep_test as nt  # noqa: E402

LUXSIM = None
TIMEOUT = 60
ALGS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512, "blake2b": hashlib.blake2b}
HASH = "/secure/crypto/hash/"


def luxsim(*args):
    """A fresh luxsim with args; (status, stdout bytes, stderr text).  On
    the x86_64 target (metal.py) "-c CMD" is typed into the booted kernel."""
    if metal.on_metal():
        if len(args) != 2 or args[0] != "-c":
            raise unittest.SkipTest("x86_64 target: luxsim's %s cannot be honoured" % args[0])
        rc, out = metal.run_script([args[1]])
        return rc, out.encode(), ""
    p = subprocess.run([LUXSIM, "-q", *args], capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def hexline(alg, data):
    return (ALGS[alg](data).hexdigest() + "\n").encode()


class Shell(unittest.TestCase):
    def test_seed_example(self):
        for alg in ALGS:
            with self.subTest(alg=alg):
                f = HASH + alg
                rc, out, err = luxsim("-c", "echo data > %s; cat %s" % (f, f))
                self.assertEqual(rc, 0, err)
                self.assertEqual(out, hexline(alg, b"data\n"))

    def test_append_reread_and_truncate(self):
        f = HASH + "sha256"
        rc, out, err = luxsim("-c", "echo a > %s; echo b >> %s; cat %s; cat %s; echo c > %s; cat %s"
                              % (f, f, f, f, f, f))
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, hexline("sha256", b"a\nb\n") * 2 + hexline("sha256", b"c\n"))

    def test_nothing_written_is_the_empty_message(self):
        rc, out, err = luxsim("-c", "cat %sblake2b" % HASH)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, hexline("blake2b", b""))

    def test_listing(self):
        rc, out, err = luxsim("-c", "ls /secure/crypto; ls /secure/crypto/hash")
        self.assertEqual(rc, 0, err)
        for name in (b"hash", b"random", b"sha256", b"sha512", b"blake2b"):
            self.assertIn(name, out)

    def test_random_is_endless_and_seeded(self):
        # random never ends: hex -c takes a part of it, exactly the count
        # asked, well past the 4 KiB it once stopped at; the same seed
        # gives the same bytes, another seed others
        runs = [luxsim("--seed", s, "-c", "hex -c 65536 /secure/crypto/random")
                for s in ("1", "1", "2")]
        got = []
        for rc, out, err in runs:
            self.assertEqual(rc, 0, err)
            m = re.match(r"([0-9a-f]{131072})\ntrace [0-9a-f]+\n$", out.decode())
            self.assertIsNotNone(m, out[:200])
            got.append(m.group(1))
        self.assertEqual(got[0], got[1])
        self.assertNotEqual(got[0], got[2])
        rc, out, err = luxsim("-c", "hex -c 16 /secure/crypto/random /secure/crypto/random")
        a, b = out.decode().split()
        self.assertEqual((rc, len(a), len(b)), (0, 32, 32), err)
        self.assertNotEqual(a, b)

    @metal.skip_on_metal("the shell's exit status is read only when the kernel halts")
    def test_hex_count_is_checked(self):
        for arg in ("-1", "x", ""):
            with self.subTest(arg=arg):
                rc, out, err = luxsim("-c", "hex -c '%s' /secure/crypto/random" % arg)
                self.assertEqual(rc, 2)
                self.assertIn(b"hex: -c wants a byte count of 0 or more", out + err.encode())

    def test_errors_are_strings(self):
        rc, out, err = luxsim("-c", "echo x > /secure/crypto/random; echo y > %smd5" % HASH)
        text = out.decode(errors="replace") + err
        self.assertIn("permission denied", text)


@metal.skip_on_metal("each test wants a kernel of its own (its session numbers, key names and "
                       "exit status); on metal these commands run in boot-x86_64 --sched and --kat")
class Keys(unittest.TestCase):
    def test_gen_list_read(self):
        rc, out, err = luxsim("-c", "echo gen ed25519 host > /secure/crypto/keys/ctl; "
                              "ls /secure/crypto/keys; cat /secure/crypto/keys/host")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out.decode(), r"^ctl\nhost\nname host\nalg ed25519\nversion 1\nexportable no\n"
                         r"public [0-9a-f]{64}\nuses 0\n$")

    def test_refusals_and_seeded(self):
        cmd = ("echo gen ed25519 k > /secure/crypto/keys/ctl; "
               "echo gen ed25519 k > /secure/crypto/keys/ctl; "
               "echo gen rsa r > /secure/crypto/keys/ctl; "
               "cat /secure/crypto/keys/ctl; cat /secure/crypto/keys/k")
        runs = [luxsim("--seed", "5", "-c", cmd) for _ in range(2)]
        for rc, out, err in runs:
            self.assertEqual(rc, 0, err)
            text = out.decode()
            self.assertIn("already exists", text)
            self.assertIn("unknown algorithm", text)
            self.assertIn("permission denied", text)
            self.assertRegex(text, r"public [0-9a-f]{64}\n")
        self.assertEqual(runs[0][1], runs[1][1])	# the seed makes the key


def verify_ed25519(pk_hex, sig_hex, msg):
    """Check with OpenSSL (python3-cryptography), independent of libsodium."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(pk_hex)).verify(bytes.fromhex(sig_hex), msg)


try:
    import cryptography  # noqa: F401
    HAVE_CRYPTOGRAPHY = True
except ImportError:
    HAVE_CRYPTOGRAPHY = False


@metal.skip_on_metal("each test wants a kernel of its own (its session numbers, key names and "
                       "exit status); on metal these commands run in boot-x86_64 --sched and --kat")
@unittest.skipUnless(HAVE_CRYPTOGRAPHY, "python3-cryptography not installed")
class Sign(unittest.TestCase):
    def test_shell_sign_verifies(self):
        s = "/secure/crypto/sign/"
        rc, out, err = luxsim("-c", "echo gen ed25519 host > /secure/crypto/keys/ctl; "
                              "cat /secure/crypto/keys/host; cat %sclone; "
                              "echo key host > %s1/ctl; echo hello > %s1/data; cat %s1/data; "
                              "echo close > %s1/ctl; cat %s1/data" % ((s,) * 6))
        self.assertEqual(rc, 1, err)	# the last cat fails: the session is closed
        text = out.decode()
        pk = re_search(r"public ([0-9a-f]{64})\n", text)
        self.assertIn("\n1\n", text)
        sig = re_search(r"\n([0-9a-f]{128})\n", text)
        verify_ed25519(pk, sig, b"hello\n")
        self.assertIn("no such session", text)	# closed


def re_search(pat, text):
    import re
    m = re.search(pat, text)
    assert m, "%r not in %r" % (pat, text)
    return m.group(1)


class NinepTest(nt.ServerTest):
    SCRIPT = ""  # a luxsim serving 9P, one for the class (ninep_test.ServerTest)

    def client(self):
        c = nt.Client(self.srv.path, dialect="9P2000")
        c.tauth()  # a Plan 9 client: the sentences (docs/9p.md "Errors")
        c.attach(0)
        return c

    def open(self, c, fid, alg, mode):
        c.walk(0, fid, ["secure", "crypto", "hash", alg])
        c.open(fid, mode)

    def write_all(self, c, fid, data, chunk):
        off = 0
        while off < len(data):
            n = c.write(fid, off, data[off:off + chunk])
            self.assertGreater(n, 0)
            off += n

    def read_all(self, c, fid, off=0):
        out = b""
        while True:
            b = c.read(fid, off + len(out), 4096)
            if not b:
                return out
            out += b

    def test_random_read_is_exactly_what_was_asked(self):
        # 1 MiB read through 9P is 1 MiB: every Tread gets its whole count
        # (at any offset, however far), a count beyond msize is clipped to
        # msize less the header, and the stream never ends
        c = nt.Client(self.srv.path, dialect="9P2000", msize=65536 + 24)
        c.tauth()  # a Plan 9 client: the sentences (docs/9p.md "Errors")
        c.attach(0)
        c.walk(0, 1, ["secure", "crypto", "random"])
        c.open(1, 0)
        count = c.msize - 24
        chunks = [c.read(1, i * count, count) for i in range((1 << 20) // count)]
        self.assertEqual(sum(map(len, chunks)), 1 << 20)
        self.assertEqual(len(set(chunks)), len(chunks))	# fresh bytes, not a repeated block
        self.assertEqual(len(c.read(1, 2**63, count)), count)
        self.assertEqual(len(c.read(1, 0, 1 << 20)), count)
        self.assertEqual(len(c.read(1, 0, 1)), 1)
        c.close()

    def test_seed_example(self):
        c = self.client()
        try:
            for alg in ALGS:
                self.open(c, 1, alg, nt_OWRITE)
                self.assertEqual(c.write(1, 0, b"data\n"), 5)
                c.clunk(1)
                self.open(c, 2, alg, nt_OREAD)
                self.assertEqual(self.read_all(c, 2), hexline(alg, b"data\n"))
                c.clunk(2)
        finally:
            c.close()

    def test_one_mib_in_chunks(self):
        data = bytes((i * 31 + (i >> 9)) & 0xFF for i in range(1 << 20))
        c = self.client()
        try:
            for alg in ALGS:
                self.open(c, 1, alg, nt_OWRITE)
                self.write_all(c, 1, data, c.msize - 64)
                c.clunk(1)
                self.open(c, 2, alg, nt_OREAD)
                self.assertEqual(self.read_all(c, 2), hexline(alg, data))
                c.clunk(2)
        finally:
            c.close()

    def test_one_fid_ordwr(self):
        c = self.client()
        try:
            # the client rewinds to 0, or reads on from its write offset:
            # either way the fid reads the digest text from its start
            for fid, start in ((1, 0), (2, 3)):
                self.open(c, fid, "sha512", nt_ORDWR)
                self.assertEqual(c.write(fid, 0, b"ab"), 2)
                self.assertEqual(c.write(fid, 2, b"c"), 1)
                self.assertEqual(self.read_all(c, fid, start), hexline("sha512", b"abc"))
                c.clunk(fid)
        finally:
            c.close()

    def test_connections_are_isolated(self):
        a, b = self.client(), self.client()
        try:
            self.open(a, 1, "sha256", nt_OWRITE)
            a.write(1, 0, b"secret of a")	# pending in a's session
            self.open(b, 1, "sha256", nt_OREAD)
            self.assertEqual(self.read_all(b, 1), hexline("sha256", b""))
            b.clunk(1)
            self.open(b, 2, "sha256", nt_OWRITE)
            b.write(2, 0, b"b's")
            b.clunk(2)
            a.clunk(1)
            self.open(a, 2, "sha256", nt_OREAD)
            self.assertEqual(self.read_all(a, 2), hexline("sha256", b"secret of a"))
            self.open(b, 3, "sha256", nt_OREAD)
            self.assertEqual(self.read_all(b, 3), hexline("sha256", b"b's"))
        finally:
            a.close()
            b.close()

    def test_key_over_9p(self):
        c = self.client()
        try:
            c.walk(0, 1, ["secure", "crypto", "keys", "ctl"])
            c.open(1, nt_OWRITE)
            c.write(1, 0, b"gen ed25519 ninep\n")
            c.clunk(1)
            c.walk(0, 2, ["secure", "crypto", "keys", "ninep"])
            c.open(2, nt_OREAD)
            self.assertRegex(self.read_all(c, 2).decode(),
                             r"^name ninep\nalg ed25519\nversion 1\nexportable no\n"
                             r"public [0-9a-f]{64}\nuses 0\n$")
        finally:
            c.close()

    @unittest.skipUnless(HAVE_CRYPTOGRAPHY, "python3-cryptography not installed")
    def test_sign_over_9p(self):
        data = bytes(range(256)) * 200	# 51200 bytes, many Twrites
        a, b = self.client(), self.client()
        try:
            a.walk(0, 1, ["secure", "crypto", "keys", "ctl"])
            a.open(1, nt_OWRITE)
            a.write(1, 0, b"gen ed25519 signer\n")
            a.clunk(1)
            a.walk(0, 2, ["secure", "crypto", "keys", "signer"])
            a.open(2, nt_OREAD)
            pk = re_search(r"public ([0-9a-f]{64})", self.read_all(a, 2).decode())
            a.walk(0, 3, ["secure", "crypto", "sign", "clone"])
            a.open(3, nt_OREAD)
            n = self.read_all(a, 3).decode().strip()
            a.walk(0, 4, ["secure", "crypto", "sign", n, "ctl"])
            a.open(4, nt_OWRITE)
            a.write(4, 0, b"key signer\n")
            a.walk(0, 5, ["secure", "crypto", "sign", n, "data"])
            a.open(5, nt_ORDWR)
            self.write_all(a, 5, data, a.msize - 64)
            sig = self.read_all(a, 5, 0).decode()
            self.assertEqual(len(sig), 129)
            verify_ed25519(pk, sig.strip(), data)
            # another connection cannot reach session n
            # (9P: a walk failing past its first element returns the qids it got)
            self.assertEqual(len(b.walk(0, 1, ["secure", "crypto", "sign", n, "data"])), 3)
        finally:
            a.close()
            b.close()

    def test_session_goes_with_the_connection(self):
        a = self.client()
        self.open(a, 1, "blake2b", nt_OWRITE)
        a.write(1, 0, b"left behind")
        a.close()
        c = self.client()	# a new connection, a new proc: nothing pending
        try:
            self.open(c, 1, "blake2b", nt_OREAD)
            self.assertEqual(self.read_all(c, 1), hexline("blake2b", b""))
        finally:
            c.close()


# ---- the keystore: keys/ctl, rotation, pins, delete in use, budgets ----

KEYS = "/secure/crypto/keys/"
SIGN = "/secure/crypto/sign/"
ED_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"	# RFC 8032 TEST 1
ED_PUB = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"


@metal.skip_on_metal("each test wants a kernel of its own (its session numbers, key names and "
                       "exit status); on metal these commands run in boot-x86_64 --sched and --kat")
class KeyStore(unittest.TestCase):
    """keys/ctl through the luxsim shell, as a user types it."""

    def run_shell(self, cmds):
        rc, out, err = luxsim("-c", "; ".join(cmds))
        return rc, out.decode(errors="replace") + err

    def test_import_export_rotate_delete(self):
        rc, text = self.run_shell([
            "echo import ed ed25519 %s exportable > %sctl" % (ED_SEED, KEYS),
            "cat %sed" % KEYS,
            "echo rotate ed > %sctl" % KEYS,
            "cat %sed" % KEYS,
            "echo delete ed > %sctl" % KEYS,
            "ls %s" % KEYS,
            "cat %sed" % KEYS])
        first, second = text.split("name ed\n")[1:3]
        self.assertIn("alg ed25519\nversion 1\nexportable yes\npublic %s\nuses 0\nsecret %s\n"
                      % (ED_PUB, ED_SEED), first)	# RFC 8032's public key, the seed back
        self.assertIn("version 2\n", second)
        self.assertNotIn(ED_PUB, second)	# a new key, still exportable
        self.assertRegex(second, r"secret [0-9a-f]{64}\n")
        self.assertRegex(text, r"\nctl\n")
        self.assertIn("does not exist", text)	# deleted
        self.assertNotEqual(rc, 0)

    def test_secret_stays_inside(self):
        rc, text = self.run_shell([
            "echo gen aead a > %sctl" % KEYS, "echo gen mac m > %sctl" % KEYS,
            "echo import x x25519 %s > %sctl" % (ED_SEED, KEYS),
            "cat %sa %sm %sx" % (KEYS, KEYS, KEYS)])
        self.assertEqual(rc, 0, text)
        self.assertNotIn("secret", text)
        self.assertNotIn(ED_SEED, text)
        self.assertEqual(text.count("exportable no\n"), 3)

    def test_hostile_lines_get_clear_errors(self):
        rc, text = self.run_shell([
            "echo gen aead ../../etc > %sctl" % KEYS,
            "echo import k aead 12345 > %sctl" % KEYS,
            "echo import k aead zz > %sctl" % KEYS,
            "echo import k mac 00 > %sctl" % KEYS,
            "echo rotate nothere > %sctl" % KEYS,
            "echo delete nothere > %sctl" % KEYS,
            "echo frobnicate > %sctl" % KEYS,
            "echo gen aead " + "x" * 40 + " > %sctl" % KEYS,
            "echo still-here"])
        self.assertEqual(rc, 0, text)
        self.assertEqual(text.count("bad key name"), 2)
        self.assertEqual(text.count("bad hex"), 3)
        self.assertEqual(text.count("no such key nothere"), 2)
        self.assertIn("unknown command", text)
        self.assertTrue(text.endswith("still-here\n"), text)

    @unittest.skipUnless(HAVE_CRYPTOGRAPHY, "python3-cryptography not installed")
    def test_rotation_keeps_the_pinned_version(self):
        # session 1 pins version 1; a rotate; session 1 still signs with
        # version 1, session 2 (opened after) with version 2
        rc, text = self.run_shell([
            "echo gen ed25519 r > %sctl" % KEYS, "cat %sr" % KEYS,
            "cat %sclone" % SIGN, "echo key r > %s1/ctl" % SIGN,
            "echo rotate r > %sctl" % KEYS, "cat %sr" % KEYS,
            "echo hello > %s1/data" % SIGN, "cat %s1/data" % SIGN,
            "cat %sclone" % SIGN, "echo key r > %s2/ctl" % SIGN,
            "echo hello > %s2/data" % SIGN, "cat %s2/data" % SIGN,
            "cat /dev/audit"])
        self.assertEqual(rc, 0, text)
        pk1, pk2 = re.findall(r"public ([0-9a-f]{64})\n", text)
        sig1, sig2 = re.findall(r"\n([0-9a-f]{128})\n", text)
        self.assertNotEqual(pk1, pk2)
        verify_ed25519(pk1, sig1, b"hello\n")
        verify_ed25519(pk2, sig2, b"hello\n")
        # each use is an audit record naming the key's version
        self.assertRegex(text, r"key-use obj \d+ \(r v1\): sign 6 bytes")
        self.assertRegex(text, r"key-use obj \d+ \(r v2\): sign 6 bytes")
        self.assertIn("key-rotate", text)

    def test_budget_runs_out_in_kernel_and_the_shell_goes_on(self):
        # ktest keystore (core/test/ktest_keystore.c): a proc with a
        # 16 KiB crypto budget uses a key until refused; the shell's own
        # budget is the machine's, too large to run out from a test
        rc, text = self.run_shell(["ktest keystore", "echo still-here", "ls " + KEYS])
        self.assertEqual(rc, 0, text)
        self.assertRegex(text, r'ktest keystore: .*"budget exhausted: crypto \d+/16384, 1024 wanted": ok\n')
        self.assertTrue(text.endswith("still-here\nctl\n"), text)	# its key is gone

    def test_delete_in_use(self):
        rc, text = self.run_shell([
            "echo gen ed25519 busy > %sctl" % KEYS,
            "cat %sclone" % SIGN, "echo key busy > %s1/ctl" % SIGN,
            "echo delete busy > %sctl" % KEYS,
            "ls %s" % KEYS,
            "echo close > %s1/ctl" % SIGN,
            "echo delete busy > %sctl" % KEYS,
            "ls %s" % KEYS])
        self.assertEqual(rc, 0, text)
        self.assertIn("key busy is in use", text)
        self.assertEqual(text.count("\nbusy\n"), 1)	# listed once: before the close


class KeyStoreNinep(nt.ServerTest):
    """The keystore over 9P: connections are procs with their own budgets."""

    SCRIPT = ""  # a luxsim serving 9P, one for the class (ninep_test.ServerTest)

    def client(self, msize=8192):
        c = nt.Client(self.srv.path, dialect="9P2000", msize=msize)
        c.tauth()  # a Plan 9 client: the sentences (docs/9p.md "Errors")
        c.attach(0)
        return c

    def ctl(self, c, line, fid=90):
        c.walk(0, fid, ["secure", "crypto", "keys", "ctl"])
        c.open(fid, nt_OWRITE)
        try:
            return c.write(fid, 0, line.encode() + b"\n")
        finally:
            c.clunk(fid)

    def read_file(self, c, names, fid=91):
        c.walk(0, fid, names)
        c.open(fid, nt_OREAD)
        out = b""
        while True:
            b = c.read(fid, len(out), 4096)
            if not b:
                break
            out += b
        c.clunk(fid)
        return out.decode()

    def session(self, c, key, fid):
        """A signing session with key: (number, ctl fid, data fid)."""
        n = self.read_file(c, ["secure", "crypto", "sign", "clone"]).strip()
        c.walk(0, fid, ["secure", "crypto", "sign", n, "ctl"])
        c.open(fid, nt_OWRITE)
        c.write(fid, 0, b"key %s\n" % key.encode())
        c.walk(0, fid + 1, ["secure", "crypto", "sign", n, "data"])
        c.open(fid + 1, nt_ORDWR)
        return n, fid, fid + 1

    def sign(self, c, fid, data):
        c.write(fid, 0, data)
        return c.read(fid, 0, 4096).decode().strip()

    def test_delete_in_use_across_connections(self):
        a, b = self.client(), self.client()
        try:
            self.ctl(a, "gen ed25519 shared")
            self.session(a, "shared", 10)
            with self.assertRaisesRegex(nt.NinepError, "key shared is in use"):
                self.ctl(b, "delete shared")
            a.close()	# a's proc goes, and its pins with it
            for _ in range(100):	# the connection's proc is reaped asynchronously
                try:
                    self.ctl(b, "delete shared")
                    break
                except nt.NinepError as e:
                    self.assertIn("in use", str(e))
                    time.sleep(0.02)
            with self.assertRaisesRegex(nt.NinepError, "no such key shared"):
                self.ctl(b, "delete shared")
        finally:
            a.close()
            b.close()

    @unittest.skipUnless(HAVE_CRYPTOGRAPHY, "python3-cryptography not installed")
    def test_rotate_from_another_connection(self):
        a, b = self.client(), self.client()
        try:
            self.ctl(a, "gen ed25519 rot")
            pk1 = re_search(r"public ([0-9a-f]{64})", self.read_file(a, ["secure", "crypto", "keys", "rot"]))
            _, _, d1 = self.session(a, "rot", 10)
            self.ctl(b, "rotate rot")
            t = self.read_file(b, ["secure", "crypto", "keys", "rot"])
            self.assertIn("version 2\n", t)
            pk2 = re_search(r"public ([0-9a-f]{64})", t)
            verify_ed25519(pk1, self.sign(a, d1, b"in flight"), b"in flight")	# still v1
            _, _, d2 = self.session(a, "rot", 20)
            verify_ed25519(pk2, self.sign(a, d2, b"new"), b"new")
        finally:
            a.close()
            b.close()

    def test_budget_exhausted_and_back(self):
        # A connection has NINEP_CONN_CRYPTO = 32 MiB of crypto
        # pebbles; each signature charges its message, held by the session.
        big = bytes(range(256)) * 256	# 64 KiB: one signature's worst case
        c = self.client(msize=65536 + 24)
        try:
            self.ctl(c, "gen ed25519 budget")
            n, ctl, data = self.session(c, "budget", 10)
            signed = 0
            with self.assertRaisesRegex(nt.NinepError, "budget exhausted: crypto"):
                while signed < 4096:
                    c.write(data, 0, big)
                    c.read(data, 0, 4096)
                    signed += 1
            # all of the budget was usable, and no more: the last one did
            # not fit beside what the pin and the session hold themselves
            whole = (32 << 20) // len(big)
            self.assertLess(signed, whole)
            self.assertGreaterEqual(signed, whole - 4)
            # the connection keeps working: a hash, and the session closes
            c.walk(0, 30, ["secure", "crypto", "hash", "sha256"])
            c.open(30, nt_ORDWR)
            c.write(30, 0, b"data\n")
            self.assertEqual(c.read(30, 0, 100), hexline("sha256", b"data\n"))
            c.write(ctl, 0, b"close\n")	# gives the pebbles back
            _, _, d2 = self.session(c, "budget", 40)
            self.assertEqual(len(self.sign(c, d2, big)), 128)
        finally:
            c.close()


# ---- keyed sessions: aead, mac, verify, kx, kdf, pwhash (docs/crypto.md, "Sessions") ----

CR = "/secure/crypto/"


def kdf_blake2b(master, ctx, ident, n):
    """libsodium's crypto_kdf_derive_from_key, recomputed with hashlib:
    keyed BLAKE2b of the empty message, salt = id (64-bit LE) || 8 zero
    bytes, personalisation = context || 8 zero bytes."""
    return hashlib.blake2b(b"", digest_size=n, key=master, salt=ident.to_bytes(8, "little") + bytes(8),
                           person=ctx + bytes(8)).digest()


@metal.skip_on_metal("each test wants a kernel of its own (its session numbers, key names and "
                       "exit status); on metal these commands run in boot-x86_64 --sched and --kat")
@unittest.skipUnless(HAVE_CRYPTOGRAPHY, "python3-cryptography not installed")
class SessionsShell(unittest.TestCase):
    """Each kind typed in the luxsim shell; answers checked with Python's
    hashlib/hmac and python3-cryptography (OpenSSL), not libsodium."""

    def shell(self, *cmds):
        """The lines typed into a fresh luxsim's shell (stdin: one -c line
        would pass the shell's 1 KiB line limit); stdout+stderr."""
        if metal.on_metal():
            return metal.run_script(cmds)[1]
        p = subprocess.run([LUXSIM, "-q", "--no-listen"], input=("\n".join(cmds) + "\nhalt\n").encode(),
                           capture_output=True, timeout=TIMEOUT)
        return p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")

    def test_aead_encrypt_decrypt_and_tamper(self):
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        key, nonce, ad = bytes(range(32)), bytes(range(100, 112)), b"hdr"
        want = ChaCha20Poly1305(key).encrypt(nonce, b"hello\n", ad)
        bad = bytes([want[0] ^ 1]) + want[1:]
        setup = lambda n, verb: ["cat %saead/clone" % CR, "echo key k > %saead/%d/ctl" % (CR, n),  # noqa: E731
                                 "echo alg chacha20poly1305 > %saead/%d/ctl" % (CR, n),
                                 "echo nonce %s > %saead/%d/ctl" % (nonce.hex(), CR, n),
                                 "echo ad %s > %saead/%d/ctl" % (ad.hex(), CR, n),
                                 "echo %s > %saead/%d/ctl" % (verb, CR, n)]
        text = self.shell("echo import k aead %s > %skeys/ctl" % (key.hex(), CR),
                          *setup(1, "encrypt"), "echo hello > %saead/1/data" % CR,
                          "hex %saead/1/data" % CR, "cat %saead/1/ctl" % CR,
                          *setup(2, "decrypt"), "unhex %s > %saead/2/data" % (want.hex(), CR),
                          "cat %saead/2/data" % CR,
                          *setup(3, "decrypt"), "unhex %s > %saead/3/data" % (bad.hex(), CR),
                          "cat %saead/3/data" % CR,
                          "echo hello > %saead/1/data" % CR, "cat %saead/1/data" % CR)
        self.assertIn(want.hex(), text.replace("\n", "").replace(" ", ""))
        self.assertIn("key k version 1\nalg chacha20poly1305\nencrypt\nnonce %s\nnonce-source given\n"
                      "ad %s\n" % (nonce.hex(), ad.hex()), text)
        self.assertIn("\nhello\n", text)				# session 2 decrypted
        self.assertIn("aead: authentication failed", text)	# session 3 refused
        self.assertEqual(text.count("hello"), 1)		# ... and printed nothing of it
        self.assertIn("nonce reused", text)			# session 1, again with its nonce

    def test_aead_default_is_xchacha_with_random_nonces(self):
        text = self.shell("echo gen aead k > %skeys/ctl" % CR, "cat %saead/clone" % CR,
                          "echo key k > %saead/1/ctl" % CR, "cat %saead/1/ctl" % CR,
                          "echo abc > %saead/1/data" % CR, "hex %saead/1/data" % CR,
                          "cat %saead/1/ctl" % CR)
        self.assertIn("alg xchacha20poly1305\nencrypt\nnonce random\n", text)
        nonce = re_search(r"nonce ([0-9a-f]{48})\nnonce-source random\n", text)
        self.assertNotEqual(nonce, "00" * 24)

    def test_mac_verify_kdf(self):
        import hmac
        key = bytes(range(1, 33))
        text = self.shell(
            "echo import m mac %s > %skeys/ctl" % (key.hex(), CR),
            "cat %smac/clone" % CR, "echo key m > %smac/1/ctl" % CR,
            "echo what do ya want for nothing > %smac/1/data" % CR, "cat %smac/1/data" % CR,
            "echo alg hmac-sha512 > %smac/1/ctl" % CR, "cat %smac/1/data" % CR,
            "echo alg blake2b > %smac/1/ctl" % CR, "echo len 64 > %smac/1/ctl" % CR,
            "cat %smac/1/data" % CR, "echo alg sha1 > %smac/1/ctl" % CR)
        m = b"what do ya want for nothing\n"
        self.assertIn(hmac.new(key, m, "sha256").hexdigest() + "\n", text)
        self.assertIn(hmac.new(key, m, "sha512").hexdigest() + "\n", text)
        self.assertIn(hashlib.blake2b(m, key=key, digest_size=64).hexdigest() + "\n", text)
        self.assertIn("mac: no alg sha1", text)

        master = bytes(range(50, 82))
        text = self.shell(
            "echo import mk aead %s exportable > %skeys/ctl" % (master.hex(), CR),
            "cat %skdf/clone" % CR, "echo key mk > %skdf/1/ctl" % CR,
            "echo context lux9test > %skdf/1/ctl" % CR, "echo id 42 > %skdf/1/ctl" % CR,
            "cat %skdf/1/data" % CR, "echo len 64 > %skdf/1/ctl" % CR, "cat %skdf/1/data" % CR,
            "echo context nine > %skdf/1/ctl" % CR)
        self.assertIn("subkey %s\n" % kdf_blake2b(master, b"lux9test", 42, 32).hex(), text)
        self.assertIn("subkey %s\n" % kdf_blake2b(master, b"lux9test", 42, 64).hex(), text)
        self.assertIn("kdf: context: want exactly 8 characters", text)

    def test_verify_what_sign_made(self):
        text = self.shell(
            "echo gen ed25519 ek > %skeys/ctl" % CR, "cat %skeys/ek" % CR,
            "cat %ssign/clone" % CR, "echo key ek > %ssign/1/ctl" % CR,
            "echo signed > %ssign/1/data" % CR, "cat %ssign/1/data" % CR)
        pk = re_search(r"public ([0-9a-f]{64})\n", text)
        sig = re_search(r"\n([0-9a-f]{128})\n", text)
        bad = sig[:10] + ("0" if sig[10] != "0" else "1") + sig[11:]
        text = self.shell(
            "cat %sverify/clone" % CR, "echo pubkey %s > %sverify/1/ctl" % (pk, CR),
            "echo sig %s > %sverify/1/ctl" % (sig, CR), "echo signed > %sverify/1/data" % CR,
            "cat %sverify/1/data" % CR, "echo sig %s > %sverify/1/ctl" % (bad, CR),
            "cat %sverify/1/data" % CR, "echo sig 1234 > %sverify/1/ctl" % CR)
        self.assertIn("\nok\n", text)
        self.assertIn("verify: bad signature", text)
        self.assertIn("verify: sig: want 64 bytes", text)
        # and OpenSSL agrees with the first, independently
        verify_ed25519(pk, sig, b"signed\n")

    def test_pwhash_is_bounded_and_deterministic(self):
        salt = "00112233445566778899aabbccddeeff"
        cmds = ("cat %spwhash/clone" % CR, "echo salt %s > %spwhash/1/ctl" % (salt, CR),
                "echo ops 1 > %spwhash/1/ctl" % CR, "echo mem 65536 > %spwhash/1/ctl" % CR,
                "echo hunter2 > %spwhash/1/data" % CR, "cat %spwhash/1/data" % CR,
                "echo mem 1073741824 > %spwhash/1/ctl" % CR, "cat %spwhash/1/ctl" % CR)
        one, two = self.shell(*cmds), self.shell(*cmds)
        h = re_search(r"\n([0-9a-f]{64})\n", one)
        self.assertEqual(h, re_search(r"\n([0-9a-f]{64})\n", two))
        self.assertIn("pwhash: mem: want a number from 8192 to 67108864", one)
        self.assertIn("alg argon2id\nsalt %s\nops 1\nmem 65536\nlen 32\n" % salt, one)
        other = self.shell(*[c.replace(salt, "ff" * 16) for c in cmds])
        self.assertNotEqual(h, re_search(r"\n([0-9a-f]{64})\n", other))


@unittest.skipUnless(HAVE_CRYPTOGRAPHY, "python3-cryptography not installed")
class SessionsNinep(nt.ServerTest):
    """The sessions over 9P: big messages in msize chunks, two connections
    agreeing on a key, isolation, and the errors as Rerror strings."""

    SCRIPT = ""  # a luxsim serving 9P, one for the class (ninep_test.ServerTest)

    def client(self):
        c = nt.Client(self.srv.path, dialect="9P2000")
        c.tauth()  # a Plan 9 client: the sentences (docs/9p.md "Errors")
        c.attach(0)
        c.nextfid = 1
        return c

    def fid(self, c, path, mode):
        f = c.nextfid
        c.nextfid += 1
        c.walk(0, f, path.strip("/").split("/"))
        c.open(f, mode)
        return f

    def put(self, c, f, data):
        off = 0
        while off < len(data):
            off += c.write(f, off, data[off:off + c.msize - 64])

    def get(self, c, f):
        out = b""
        while True:
            b = c.read(f, len(out), c.msize - 64)
            if not b:
                return out
            out += b

    def lines(self, c, path, *lines):
        f = self.fid(c, path, nt_OWRITE)
        for ln in lines:
            c.write(f, 0, (ln + "\n").encode())
        c.clunk(f)

    def session(self, c, kind):
        f = self.fid(c, CR + kind + "/clone", nt_OREAD)
        n = self.get(c, f).decode().strip()
        c.clunk(f)
        return n

    def test_aead_one_mib_against_openssl(self):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
        key = os.urandom(32)
        data = bytes((i * 7 + (i >> 11)) & 0xFF for i in range(1 << 20))
        c = self.client()
        try:
            self.lines(c, CR + "keys/ctl", "import big aead %s" % key.hex())
            for i, (alg, impl) in enumerate((("chacha20poly1305", ChaCha20Poly1305), ("aes256gcm", AESGCM))):
                with self.subTest(alg=alg):
                    # both share the key version's 12-byte nonce mark: the second must be greater
                    nonce = bytes([i + 1]) + os.urandom(11)
                    n = self.session(c, "aead")
                    try:
                        self.lines(c, "%saead/%s/ctl" % (CR, n), "key big", "alg " + alg,
                                   "nonce " + nonce.hex(), "ad 0102")
                    except nt.NinepError as e:	# a CPU without AES-NI says so
                        self.assertIn("AES-NI", str(e))
                        continue
                    d = self.fid(c, "%saead/%s/data" % (CR, n), nt_ORDWR)
                    self.put(c, d, data)
                    ct = self.get(c, d)
                    self.assertEqual(ct, impl(key).encrypt(nonce, data, b"\x01\x02"))
                    # the same nonce again under the same key version: refused
                    self.put(c, d, b"again")
                    with self.assertRaisesRegex(nt.NinepError, "nonce reused"):
                        c.read(d, 0, 100)
                    self.lines(c, "%saead/%s/ctl" % (CR, n), "close")
            # xchacha20poly1305 (not in OpenSSL): a round trip through two sessions
            n, m = self.session(c, "aead"), self.session(c, "aead")
            self.lines(c, "%saead/%s/ctl" % (CR, n), "key big")
            d = self.fid(c, "%saead/%s/data" % (CR, n), nt_ORDWR)
            self.put(c, d, data)
            ct = self.get(c, d)
            f = self.fid(c, "%saead/%s/ctl" % (CR, n), nt_OREAD)
            xn = re_search(r"nonce ([0-9a-f]{48})\n", self.get(c, f).decode())
            self.lines(c, "%saead/%s/ctl" % (CR, m), "key big", "decrypt", "nonce " + xn)
            e = self.fid(c, "%saead/%s/data" % (CR, m), nt_ORDWR)
            self.put(c, e, ct)
            self.assertEqual(self.get(c, e), data)
            self.put(c, e, ct[:-1] + bytes([ct[-1] ^ 0x80]))
            with self.assertRaisesRegex(nt.NinepError, "aead: authentication failed"):
                c.read(e, 0, 4096)
        finally:
            c.close()

    def test_two_connections_agree_on_a_key(self):
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        from cryptography.hazmat.primitives import serialization as ser
        raw = (ser.Encoding.Raw, ser.PublicFormat.Raw)
        pub = lambda s: X25519PrivateKey.from_private_bytes(s).public_key().public_bytes(*raw)  # noqa: E731
        # keys whose byte order (memcmp) and little-endian number order
        # disagree, so the order the key is hashed in is really checked
        while True:
            sa, sb = os.urandom(32), os.urandom(32)
            pa, pb = pub(sa), pub(sb)
            if (pa < pb) != (pa[::-1] < pb[::-1]):
                break
        a, b = self.client(), self.client()
        try:
            for c, name, secret, peer, into in ((a, "ya", sa, pb, "ka"), (b, "yb", sb, pa, "kb")):
                self.lines(c, CR + "keys/ctl", "import %s x25519 %s" % (name, secret.hex()))
                n = self.session(c, "kx")
                self.lines(c, "%skx/%s/ctl" % (CR, n), "key " + name, "peer " + peer.hex(),
                           "into " + into)
                f = self.fid(c, "%skx/%s/data" % (CR, n), nt_OREAD)
                desc = self.get(c, f).decode()
                self.assertIn("public %s\npeer %s\ninto %s\n" % ((pa if c is a else pb).hex(),
                                                                  peer.hex(), into), desc)
                self.assertIn("shared hidden", desc)	# the keys are not exportable
            # a encrypts with its key, b opens with its own
            nonce = os.urandom(12)
            n = self.session(a, "aead")
            self.lines(a, "%saead/%s/ctl" % (CR, n), "key ka", "alg chacha20poly1305",
                       "nonce " + nonce.hex())
            d = self.fid(a, "%saead/%s/data" % (CR, n), nt_ORDWR)
            a.write(d, 0, b"between connections")
            ct = self.get(a, d)
            m = self.session(b, "aead")
            self.lines(b, "%saead/%s/ctl" % (CR, m), "key kb", "alg chacha20poly1305",
                       "nonce " + nonce.hex(), "decrypt")
            e = self.fid(b, "%saead/%s/data" % (CR, m), nt_ORDWR)
            b.write(e, 0, ct)
            self.assertEqual(self.get(b, e), b"between connections")
            # and the key is what docs/crypto.md says: BLAKE2b-256(q || pks in byte order)
            q = X25519PrivateKey.from_private_bytes(sa).exchange(X25519PublicKey.from_public_bytes(pb))
            k = hashlib.blake2b(q + min(pa, pb) + max(pa, pb), digest_size=32).digest()
            self.assertEqual(ChaCha20Poly1305(k).decrypt(nonce, ct, None), b"between connections")
            # b cannot reach a's sessions, of any kind
            for kind, num in (("aead", n), ("kx", "1")):
                self.assertLess(len(b.walk(0, 99, ["secure", "crypto", kind, num, "ctl"])), 5)
        finally:
            a.close()
            b.close()

    def test_isolation_and_errors(self):
        a, b = self.client(), self.client()
        try:
            kinds = ("aead", "mac", "sign", "verify", "kx", "kdf", "pwhash")
            mine = {k: self.session(a, k) for k in kinds}
            for k, n in mine.items():
                with self.subTest(kind=k):
                    got = b.walk(0, 50, ["secure", "crypto", k, n, "data"])
                    self.assertEqual(len(got), 3)	# stops at the number: not there for b
                    f = self.fid(a, "%s%s/%s/ctl" % (CR, k, n), nt_ORDWR)
                    self.assertRegex(self.get(a, f).decode(), r"^key none\n")
                    with self.assertRaisesRegex(nt.NinepError, "unknown command"):
                        a.write(f, 0, b"launch missiles\n")
                    a.write(f, 0, b"close\n")
                    with self.assertRaisesRegex(nt.NinepError, "no such session"):
                        a.read(f, 0, 100)
            with self.assertRaisesRegex(nt.NinepError, "no such key"):
                n = self.session(a, "mac")
                self.lines(a, "%smac/%s/ctl" % (CR, n), "key nothere")
        finally:
            a.close()
            b.close()


nt_OREAD, nt_OWRITE, nt_ORDWR = 0, 1, 2

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: crypto_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    nt.LUXSIM = LUXSIM
    unittest.main(verbosity=2)
