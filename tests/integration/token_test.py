#!/usr/bin/env python3
"""Capability tokens over 9P (docs/security.md, "Tokens").

Usage: token_test.py PATH/TO/luxsim [unittest args]

One luxsim with --state-dir and two TCP listeners: one that authenticates
(lux9p's -t/-T and -k go there) and one trusted without authentication,
used only to set files up as alice and bob (ninep_test's client).  Tokens
are minted from the shell (eve) and by alice over 9P (/adm/tokens), then
used with lux9p: what a token's caveats exclude is refused, with the
sentence, and audited.
"""
import base64
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authsim  # noqa: E402
import ninep_test as nt  # noqa: E402

LUX9P = None
TIMEOUT = 60
DMDIR = 0x80000000


def alter(tok):
    """The token with one bit of its tag flipped, still well-formed."""
    b64 = tok[len("lux1."):]
    wire = bytearray(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)))
    wire[-1] ^= 1
    return "lux1." + base64.urlsafe_b64encode(bytes(wire)).decode().rstrip("=")


class Token(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state = tempfile.mkdtemp(prefix="token-state-")
        cls.home = tempfile.mkdtemp(prefix="token-lux9p-")
        cls.env = dict(os.environ, XDG_CONFIG_HOME=cls.home)
        cls.port, cls.trusted = nt.free_port(), nt.free_port()
        cls.addr = "tcp!127.0.0.1!%d" % cls.port
        cls.p = subprocess.Popen([nt.LUXSIM, "--state-dir", cls.state, "--listen", cls.addr,
                                  "--listen-noauth", "tcp!127.0.0.1!%d" % cls.trusted, "-q"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        cls.shell("echo uname bob 1002 > /adm/users")
        cls.key = os.path.join(cls.home, "id")
        rc, out, err = cls.run_lux9p("-u", "alice", "keygen", cls.key)
        assert rc == 0, err
        authsim.authorize(cls.p, "alice", 1001,
                          re.search(r"^authkey alice \+([0-9a-f]{64})$", out, re.M).group(1))
        host = authsim.host_key(cls.state, TIMEOUT)
        os.makedirs(os.path.join(cls.home, "lux9"), exist_ok=True)
        with open(os.path.join(cls.home, "lux9", "known_hosts"), "w") as f:
            f.write("%s %s\n" % (cls.addr, host))
        # the files, made by their owners through the trusted listener
        c = nt.Client(("127.0.0.1", cls.trusted), dialect="9P2000")
        c.attach(1, uname="bob")
        c.walk(1, 2, ["tmp"])
        c.create(2, "bob-secret", 0o600, 1)
        c.write(2, 0, b"bob's secret\n")
        c.clunk(2)
        c.attach(3, uname="alice")
        c.walk(3, 4, ["tmp"])
        c.create(4, "ta", DMDIR | 0o755, 0)
        c.clunk(4)
        for name, data in (("f", b"alice data\n"), ("victim", b"x\n"), ("g", b"g\n")):
            c.walk(3, 5, ["tmp", "ta"])
            c.create(5, name, 0o644, 1)
            c.write(5, 0, data)
            c.clunk(5)
        c.close()

    @classmethod
    def shell(cls, cmd):
        return authsim.shell(cls.p, cmd)

    @classmethod
    def run_lux9p(cls, *args, stdin=b""):
        p = subprocess.run([LUX9P, *args], input=stdin, capture_output=True, timeout=TIMEOUT,
                           env=cls.env)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    @classmethod
    def tearDownClass(cls):
        err = authsim.halt(cls.p, TIMEOUT)
        shutil.rmtree(cls.state, ignore_errors=True)
        shutil.rmtree(cls.home, ignore_errors=True)
        assert cls.p.returncode == 0 and b"Sanitizer" not in err, err.decode(errors="replace")

    def mint(self, args):
        """eve mints from the shell; the token's text form."""
        out = self.shell("echo mint %s > /adm/tokens; cat /adm/tokens" % args)
        toks = [l for l in out if l.startswith("lux1.")]
        self.assertEqual(len(toks), 1, out)
        return toks[0]

    def tok(self, token, *args, user="alice", aname="/tmp/ta", stdin=b""):
        """lux9p with the token method: (rc, stdout, stderr)."""
        path = os.path.join(self.home, "tok-%d" % time.monotonic_ns())
        with open(path, "w") as f:
            f.write(token + "\n")
        os.chmod(path, 0o600)
        return self.run_lux9p("-a", self.addr, "-u", user, "-A", aname, "-t", path, *args,
                              stdin=stdin)

    def audit(self):
        return "\n".join(self.shell("cat /dev/audit"))

    def test_inside_the_prefix_and_outside(self):
        t = self.mint("alice path /tmp/ta")
        self.assertEqual(self.tok(t, "read", "/f"), (0, "alice data\n", ""))
        rc, out, err = self.tok(t, "ls", "/")
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(out.split()), ["f", "g", "victim"])
        # ".." stops at the attach root: it never climbs out
        rc, out, err = self.tok(t, "read", "/../f")
        self.assertEqual((rc, out), (0, "alice data\n"), err)
        # the root, /tmp, another user's 0600 file: outside the prefix
        for aname in ("", "/tmp", "/tmp/tab"):
            rc, out, err = self.tok(t, "ls", "/", aname=aname)
            self.assertEqual((rc, out), (1, ""), aname)
            self.assertIn("permission denied: outside the token's path /tmp/ta", err)
        # the acceptance line: a 0600 file of bob's, by a token holder
        # whose caveats exclude it (the token speaks for alice, and its
        # path is /tmp/ta)
        rc, out, err = self.tok(t, "read", "/bob-secret", aname="/tmp")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("outside the token's path /tmp/ta", err)
        self.assertNotIn("bob's secret", out)
        self.assertRegex(self.audit(), r"9p-attach.*refused: none may not attach through afid "
                                       r"\d+: outside the token's path /tmp/ta")
        # writes inside are the token's (rw) and alice's own
        rc, _, err = self.tok(t, "write", "/g", stdin=b"written by token\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.shell("cat /tmp/ta/g"), ["written by token"])

    def test_read_only_refuses_every_change(self):
        t = self.mint("alice ro path /tmp/ta")
        self.assertEqual(self.tok(t, "read", "/f"), (0, "alice data\n", ""))
        cases = [("write", "/f", "Topen needs write"), ("rm", "/victim", "Tremove needs remove"),
                 ("create", "/new", "Tcreate needs create"), ("rdwr", "/f", "Topen needs write")]
        for cmd, path, why in cases:
            rc, out, err = self.tok(t, cmd, path, stdin=b"changed\n")
            self.assertEqual(rc, 1, (cmd, out, err))
            self.assertIn("permission denied: the token is read-only (%s)" % why, err)
        # the acceptance line: removing a file, by a token holder whose
        # caveats (read-only) exclude it
        self.assertIn("victim", " ".join(self.shell("ls /tmp/ta")))
        self.assertEqual(self.shell("cat /tmp/ta/f"), ["alice data"])
        self.assertRegex(self.audit(), r"9p-token.*refused: alice Tremove: the token is read-only")
        # under 9P2000.L too
        for cmd, path in (("rm", "/victim"), ("write", "/f")):
            rc, _, err = self.run_lux9p("-L", "-a", self.addr, "-u", "alice", "-A", "/tmp/ta",
                                        "-T", t, cmd, path, stdin=b"x\n")
            self.assertEqual(rc, 1, err)
            self.assertIn("Permission denied", err)
        self.assertIn("victim", " ".join(self.shell("ls /tmp/ta")))

    def test_expired_token_is_refused(self):
        t = self.mint("alice path /tmp/ta expiry 2")
        # a connection made in time: refused from the expiry on
        p = subprocess.Popen([LUX9P, "-a", self.addr, "-u", "alice", "-A", "/tmp/ta", "-T", t,
                              "rdwr", "/g"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env)
        first = p.stdout.readline().decode()
        self.assertNotIn("lux9p", first)
        time.sleep(2.5)
        out, err = p.communicate(b"too late\n", timeout=TIMEOUT)
        self.assertIn("permission denied: the token expired", err.decode())
        self.assertNotIn(b"too late", out)
        # a new connection: refused at the handshake
        rc, out, err = self.tok(t, "read", "/f")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("the server refused the token for alice", err)
        # the client hears "authentication failed"; the audit says why
        self.assertRegex(self.audit(), r"9p-auth.*refused: auth: token for user alice refused: "
                                       r"token: expired")

    def test_forged_and_misdirected_tokens_are_refused_at_the_handshake(self):
        t = self.mint("alice path /tmp/ta")
        rc, out, err = self.tok(alter(t), "read", "/f")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("the server refused the token for alice", err)
        self.assertRegex(self.audit(), r"9p-auth.*refused: auth: token for user alice refused: "
                                       r"token: bad MAC")
        # a token for alice does not speak for bob
        rc, out, err = self.tok(t, "read", "/f", user="bob")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("the server refused the token for bob", err)
        self.assertRegex(self.audit(), r"9p-auth.*refused: auth: token for user bob refused: "
                                       r"token: names another object")
        # garbage is refused before dialing
        rc, _, err = self.tok("lux1.!!", "read", "/f")
        self.assertEqual(rc, 1)
        self.assertIn("not a Lux9 token", err)

    def test_minting_rules(self):
        # alice, authenticated with her key, mints for herself over 9P
        rc, out, err = self.run_lux9p("-a", self.addr, "-u", "alice", "-k", self.key, "rdwr",
                                      "/adm/tokens", stdin=b"mint ro path /tmp/ta\n")
        self.assertEqual(rc, 0, err)
        toks = re.findall(r"lux1\.\S+", out)
        self.assertEqual(len(toks), 1, out)
        self.assertEqual(self.tok(toks[0], "read", "/f"), (0, "alice data\n", ""))
        # ... never for another user
        rc, out, err = self.run_lux9p("-a", self.addr, "-u", "alice", "-k", self.key, "rdwr",
                                      "/adm/tokens", stdin=b"mint bob\n")
        self.assertNotIn("lux1.", out)
        self.assertIn("tokens: only eve mints tokens for another user (bob)", err)
        audit = self.audit()
        self.assertRegex(audit, r"token-mint.*refused: alice: tokens: only eve mints tokens for "
                                r"another user \(bob\)")
        self.assertRegex(audit, r"token-mint.*alice minted slot \d+ gen \d+ for alice: read-only, "
                                r"path /tmp/ta")
        # a token's holder mints nothing, even with every right
        t = self.mint("alice")
        rc, out, err = self.tok(t, "rdwr", "/adm/tokens", aname="", stdin=b"mint\n")
        self.assertNotIn("lux1.", out)
        self.assertIn("tokens: a token's holder may not mint tokens", err)
        # bad commands say why
        for cmd, why in (("mint nobody", "no such user: nobody"),
                         ("mint alice path tmp", "want an absolute path"),
                         ("mint alice path /a/../b", "no empty, . or .. elements"),
                         ("mint alice expiry 0", "want 1 to"),
                         ("mint none", "no tokens for none")):
            out = self.shell("echo %s > /adm/tokens" % cmd)
            self.assertIn(why, " ".join(out), cmd)

    def test_revoke(self):
        t = self.mint("alice path /tmp/ta")
        p = subprocess.Popen([LUX9P, "-a", self.addr, "-u", "alice", "-A", "/tmp/ta", "-T", t,
                              "rdwr", "/g"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env)
        p.stdout.readline()
        self.shell("echo revoke %s > /adm/tokens" % t)
        out, err = p.communicate(b"after revoke\n", timeout=TIMEOUT)
        self.assertIn("permission denied: the token was revoked", err.decode())
        rc, out, err = self.tok(t, "read", "/f")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("the server refused the token for alice", err)
        self.assertRegex(self.audit(), r"token for user alice refused: token: revoked")
        self.assertRegex(self.audit(), r"token-revoke.*eve revoked slot \d+ gen \d+ \(for alice\)")

    def minter(self, user):
        c = nt.Client(("127.0.0.1", self.trusted), dialect="9P2000")
        c.attach(1, uname=user)
        c.walk(1, 2, ["adm", "tokens"])
        c.open(2, 2)
        return c

    def test_shares_of_slots_and_of_tokens_waiting(self):
        # Slots are per boot and freed only by revoke, and minted tokens
        # wait in a table of 16 for their makers to read them.  One user
        # minting in a loop took all 256 slots; another's 16 unread mints
        # evicted bob's token before he read it, and its slot, which
        # nobody could revoke, stayed live (tests/attacks/h_token_slots.py).
        self.shell("echo uname carol 1003 > /adm/users")
        b = self.minter("bob")
        b.write(2, 0, b"mint")
        carols = [self.minter("carol") for _ in range(16)]
        for c in carols:
            c.write(2, 0, b"mint")
        self.assertTrue(b.read(2, 0, 600).startswith(b"lux1."), "bob's token was evicted")
        for c in carols:           # their unread tokens are revoked, not kept
            c.close()
        deadline = time.monotonic() + 20   # the connections end in the background
        while not any(re.match(r"total conns 1 ", l) for l in self.shell("ninep")):
            self.assertLess(time.monotonic(), deadline, "carol's connections did not end")
            time.sleep(0.1)
        c = self.minter("carol")
        for i in range(16):
            c.write(2, 0, b"mint")
            self.assertTrue(c.read(2, 0, 600).startswith(b"lux1."), i)
        with self.assertRaises(nt.NinepError) as e:
            c.write(2, 0, b"mint")
        self.assertIn("Disk quota exceeded", str(e.exception))   # "budget exhausted: tokens 16/16"
        t = b.read(2, 0, 600).decode().strip()   # bob still mints, and revokes his own
        b.write(2, 0, ("revoke " + t).encode())
        c.close()
        b.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    nt.LUXSIM = os.path.abspath(sys.argv.pop(1))
    LUX9P = os.environ.get("LUX9P") or os.path.join(os.path.dirname(nt.LUXSIM), "lux9p", "lux9p")
    unittest.main()
