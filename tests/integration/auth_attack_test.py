#!/usr/bin/env python3
"""luxsim's authenticated 9P under hostile records and handshakes
(docs/security.md, "The 9P side of the protocol" and "The record layer").

Usage: auth_attack_test.py PATH/TO/luxsim [unittest args]

One luxsim serves TCP (authenticated) and a unix socket.  For each mode of
lux9p-authattack (tests/integration/authattack.c: a client that
authenticates for real, then tampers, replays, reorders, truncates or
lies) the test asserts:
- the attacking client's verdict: the server closed the connection (with
  its own close record), or refused the handshake or the attach with a
  9P error, and answered nothing it should not have;
- /dev/audit has a record for that very connection (matched by the
  client's address) saying why;
- luxsim is alive, and an honest authenticated lux9p (TCP) and an honest
  unix-socket client still work.
At the end `ninep` counts zero connections and luxsim halts cleanly.

lux9p is found beside luxsim (or at $LUX9P), lux9p-authattack in the build
tree's tests/ (or at $LUX9P_AUTHATTACK).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authsim  # noqa: E402
import ninep_test  # noqa: E402  (free_port)

LUX9P = None
ATTACK = None
TIMEOUT = 60
ZERO = "total conns 0 fids 0 reqs 0 pages 0 procs 0 bytes 0"


class AuthAttack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.mkdtemp(prefix="auth-attack-")
        cls.state = os.path.join(cls.home, "state")
        os.mkdir(cls.state)
        cls.env = dict(os.environ, XDG_CONFIG_HOME=cls.home)
        cls.key = os.path.join(cls.home, "id")
        p = subprocess.run([LUX9P, "-u", "alice", "keygen", cls.key], capture_output=True,
                           timeout=TIMEOUT, env=cls.env)
        assert p.returncode == 0, p.stderr
        pub = re.search(rb"^authkey alice \+([0-9a-f]{64})$", p.stdout, re.M).group(1).decode()
        cls.sock = os.path.join(cls.home, "sock")
        cls.addr = "tcp!127.0.0.1!%d" % ninep_test.free_port()
        # a short partial-message clock, for test_stall_mid_record
        cls.p = subprocess.Popen([ninep_test.LUXSIM, "-q", "--state-dir", cls.state,
                                  "--9p-partial-ms", "2000",
                                  "--listen", cls.addr, "--listen", "unix!" + cls.sock],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        authsim.authorize(cls.p, "alice", 1001, pub)
        cls.host = authsim.host_key(cls.state, TIMEOUT)
        os.makedirs(os.path.join(cls.home, "lux9"))
        with open(os.path.join(cls.home, "lux9", "known_hosts"), "w") as f:
            f.write("%s %s\n" % (cls.addr, cls.host))

    @classmethod
    def shell(cls, cmd):
        return authsim.shell(cls.p, cmd)

    @classmethod
    def tearDownClass(cls):
        try:
            # every connection, the attackers' too, is gone and paid back
            lines = []
            for _ in range(200):
                lines = cls.shell("ninep")
                if lines == [ZERO]:
                    break
                time.sleep(0.05)
            assert lines == [ZERO], lines
        finally:
            err = authsim.halt(cls.p, TIMEOUT)
            shutil.rmtree(cls.home, ignore_errors=True)
        assert cls.p.returncode == 0, "luxsim exited %s: %s" % (cls.p.returncode,
                                                                err.decode(errors="replace"))

    # ---- helpers ---------------------------------------------------------

    def attack(self, mode, user="alice"):
        """Run one mode: its exit status, its output, and the audit records
        it caused for its own connections."""
        before = len(self.shell("cat /dev/audit"))
        p = subprocess.run([ATTACK, self.addr, self.host, self.key, user, mode],
                           capture_output=True, timeout=TIMEOUT)
        out = p.stdout.decode(errors="replace")
        peers = re.findall(r"^connection from (\S+)$", out, re.M)
        self.assertTrue(peers, out + p.stderr.decode(errors="replace"))
        # the server may still be ending the connection: wait for its last word
        mine = []
        for _ in range(100):
            audit = self.shell("cat /dev/audit")
            mine = [l for l in audit[before:] if any("(%s)" % peer in l for peer in peers)]
            if any(" 9p-record " in l or " refused: " in l for l in mine) or mode in (
                    "tiny-read", "honest"):
                break
            time.sleep(0.05)
        return p.returncode, out, mine

    def assert_attack(self, mode, verdict, audit, user="alice"):
        rc, out, mine = self.attack(mode, user)
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"(?m)^verdict: ok " + verdict)
        self.assertTrue(any(re.search(audit, l) for l in mine),
                        "no audit record like %r for %s:\n%s\n(client said:\n%s)" %
                        (audit, mode, "\n".join(mine), out))
        return out, mine

    def tearDown(self):
        # after every attack: luxsim lives, honest clients of both kinds work
        self.assertIsNone(self.p.poll(), "luxsim died")
        p = subprocess.run([LUX9P, "-a", self.addr, "-k", self.key, "-u", "alice", "ls", "/"],
                           capture_output=True, timeout=TIMEOUT, env=self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"tmp", p.stdout.split())
        p = subprocess.run([LUX9P, "-a", "unix!" + self.sock, "ls", "/"],
                           capture_output=True, timeout=TIMEOUT, env=self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"tmp", p.stdout.split())

    # ---- records ---------------------------------------------------------
    # record 0 of the client is the honest Tstat; the attack is record 1

    def test_honest(self):
        self.assert_attack("honest", "honest session done", r" 9p-auth .*: alice proved key SHA256:")

    def test_tampered_ciphertext(self):
        self.assert_attack("tamper-ct", "the server closed the connection after tamper-ct \\(its close",
                           r" 9p-record .*: closed: auth: record 1 failed authentication \(tampered")

    def test_tampered_tag(self):
        self.assert_attack("tamper-tag", "the server closed the connection",
                           r" 9p-record .*: closed: auth: record 1 failed authentication")

    def test_tampered_length(self):
        self.assert_attack("tamper-len", "the server closed the connection",
                           r" 9p-record .*: closed: auth: record 1 failed authentication")

    def test_replayed_record(self):
        # record 1 was answered; its copy is opened as record 2 and fails
        self.assert_attack("replay", "the server closed the connection after a replayed record",
                           r" 9p-record .*: closed: auth: record 2 failed authentication")

    def test_reordered_records(self):
        self.assert_attack("reorder", "the server closed the connection after two records swapped",
                           r" 9p-record .*: closed: auth: record 1 failed authentication")

    def test_record_past_the_maximum(self):
        # judged on its 4-byte header: the server waits for nothing more
        self.assert_attack("toolong", "the server closed the connection after a record past",
                           r" 9p-record .*: closed: auth: record 1 claims 66578 bytes, more than "
                           r"the 66577 a record may have")

    def test_hangup_mid_record(self):
        self.assert_attack("hangup-mid", "hung up",
                           r" 9p-record .*: ended: auth: the stream ended after 1 records without "
                           r"a close record \(truncated\)")

    def test_hangup_at_record_boundary(self):
        self.assert_attack("hangup-boundary", "hung up",
                           r" 9p-record .*: ended: auth: the stream ended after 2 records without "
                           r"a close record \(truncated\)")

    # Was a hole: the partial-message clock (--9p-partial-ms) looked only
    # at the plaintext buffer, so a sealed client that sent half a record
    # and went silent held its connection open, never told why.  The
    # clock now watches the ciphertext too (a whole record waiting for
    # room is the server's doing, not the client's); the goodbye is a
    # sealed Rerror, then the close.
    def test_stall_mid_record(self):
        self.assert_attack("stall-mid", "the server closed the connection after half a record",
                           r"incomplete")

    def test_data_after_close_record(self):
        self.assert_attack("afterclose", "the server closed the connection after a data record",
                           r" 9p-record .*: closed: auth: 32 bytes came after the peer's close record")

    def test_plaintext_after_switch(self):
        # an 11-byte Tstat read as a record header: too short to be one
        self.assert_attack("plaintext", "the server closed the connection after plaintext",
                           r" 9p-record .*: closed: auth: record 1 is 11 bytes, shorter than type "
                           r"and tag")

    # ---- handshake -------------------------------------------------------

    def test_replayed_proof(self):
        out, mine = self.assert_attack("replay-proof", "replayed proof refused",
                                       r" 9p-auth .*: refused: auth: .*signature")
        self.assertIn("attach through the afid of the replayed proof refused: permission denied", out)

    def test_wrong_key(self):
        self.assert_attack("wrong-key", "wrong-key refused",
                           r" 9p-auth .*: refused: auth: .*not authorized for user alice")

    def test_unknown_user(self):
        self.assert_attack("unknown-user", "unknown-user refused",
                           r" 9p-auth .*: refused: auth: .*mallory", user="mallory")

    def test_attach_through_unfinished_afid(self):
        out, _ = self.assert_attack("attach-unfinished", "unfinished afids do not attach",
                                    r" 9p-attach .*: refused: .*afid 1 has not authenticated")
        self.assertEqual(out.count("has not authenticated"), 2, out)

    def test_second_attach_on_sealed_connection(self):
        out, _ = self.assert_attack("second-attach", "no second attach on a sealed connection",
                                    r" 9p-attach .*: refused: .*sealed already")
        self.assertEqual(out.count("the connection is sealed already"), 2, out)

    def test_garbage_on_afid(self):
        self.assert_attack("garbage", "garbage refused", r" 9p-auth .*: refused: auth: ")

    def test_tiny_read_of_afid(self):
        out, _ = self.assert_attack("tiny-read", "a tiny read is an error",
                                    r" 9p-auth .*: alice proved key SHA256:")
        # the server's message's size (163 + the cipher pick) is the protocol's, not ours
        self.assertRegex(out, r"tiny read refused: auth: read \d+ bytes at least for the message")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: auth_attack_test.py PATH/TO/luxsim [unittest args]")
    ninep_test.LUXSIM = sys.argv.pop(1)
    here = os.path.dirname(os.path.abspath(ninep_test.LUXSIM))
    LUX9P = os.environ.get("LUX9P") or os.path.join(here, "lux9p", "lux9p")
    ATTACK = os.environ.get("LUX9P_AUTHATTACK") or os.path.join(here, "..", "tests",
                                                                 "lux9p-authattack")
    for what, path in (("lux9p", LUX9P), ("lux9p-authattack", ATTACK)):
        if not os.access(path, os.X_OK):
            sys.exit("auth_attack_test: no %s at %s (build it, or set $%s)" %
                     (what, path, "LUX9P" if what == "lux9p" else "LUX9P_AUTHATTACK"))
    unittest.main(verbosity=2)
